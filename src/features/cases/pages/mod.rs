//! The pages of cases: applying, the citizen's cases and one case, the public look-up, and the
//! console's case list and case page.

pub mod apply;
pub mod case;
pub mod lookup;
pub mod my_cases;
pub mod staff_case;
pub mod staff_cases;
