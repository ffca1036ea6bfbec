pub mod articles;
pub mod error;
pub mod home;

pub use articles::{ArticleDetailPage, ArticleListPage};
pub use error::{ErrorPage, NotFound};
pub use home::HomePage;
