pub mod articles;
pub mod console;
pub mod console_cases;
pub mod console_security;
pub mod console_workflow;
pub mod error;
pub mod home;
pub mod login;
pub mod my;
pub mod services;

pub use articles::{ArticleDetailPage, ArticleListPage};
pub use error::{ErrorPage, NotFound};
pub use home::HomePage;
