//! The workflow's console pages. All plain forms: everything works without JavaScript.

pub mod calendar;
pub mod item;
pub mod lists;
pub mod panel;
pub mod supervision;
