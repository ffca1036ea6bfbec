pub mod article_row;
pub mod form;
pub mod layout;
pub mod pager;
pub mod print_button;
pub mod status;
