pub mod consent;
pub mod my;
pub mod staff;
