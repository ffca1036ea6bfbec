pub mod articles;
pub mod console;
pub mod error;
pub mod home;
pub mod login;
pub mod my;

pub use articles::{ArticleDetailPage, ArticleListPage};
pub use error::{ErrorPage, NotFound};
pub use home::HomePage;
