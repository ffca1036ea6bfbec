//! The catalogue's pages: the portal's list, guide and blank form, and the console's items.

pub mod blank_form;
pub mod guide;
pub mod list;
pub mod staff_item;
pub mod staff_items;
