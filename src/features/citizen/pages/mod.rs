pub mod my;
pub mod staff;
