//! Views and helpers shared by every feature: the layout, the form kit, page metadata, the pager,
//! status badges, the preferences and session the pages read, and the error pages.

pub mod enhance;
pub mod error;
pub mod form;
pub mod format;
pub mod layout;
pub mod loaded;
pub mod meta;
pub mod pager;
pub mod prefs;
pub mod print_button;
pub mod session;
pub mod status;
pub mod url;
