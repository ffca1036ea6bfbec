//! The service catalogue (事项清单): the public list and guides, the blank forms, and the staff's
//! items with their forms.

pub mod api;
pub mod pages;

pub use pages::favourites::MyFavourites;
pub use pages::hub::{ServiceHub, ServiceSearch};
#[cfg(feature = "ssr")]
pub mod posts;

#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    posts::routes()
}
