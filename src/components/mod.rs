pub mod article_row;
pub mod enhance;
pub mod form;
pub mod layout;
pub mod meta;
pub mod pager;
pub mod print_button;
pub mod status;
