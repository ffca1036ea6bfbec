pub mod articles;
pub mod home;
