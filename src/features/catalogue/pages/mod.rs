//! The catalogue's pages: the portal's list, guide and blank form, and the console's items.

pub mod blank_form;
pub mod favourites;
pub mod guide;
pub mod hub;
pub mod list;
pub mod process;
pub mod staff_item;
pub mod staff_items;
