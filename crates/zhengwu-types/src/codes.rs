//! Enums stored and sent as short codes (`"processing"`, `"case:approve"`): one table per enum,
//! written once in [`code_enum!`], which derives `ALL`, `code()` and `parse()` from it. With the
//! `sqlx` feature (the server's build) the enum also binds and decodes as its code, and a row
//! holding a code the enum does not know is a decoding error — never a silent default.

/// Counts token trees (the number of variants), for `ALL`'s length.
#[doc(hidden)]
#[macro_export]
macro_rules! __count {
    () => { 0usize };
    ($head:tt $($tail:tt)*) => { 1usize + $crate::__count!($($tail)*) };
}

/// An enum whose variants each have a code:
///
/// ```
/// zhengwu_types::code_enum! {
///     /// A task's state.
///     pub enum TaskStatus {
///         Open = "open",
///         Done = "done",
///     }
/// }
/// assert_eq!(TaskStatus::parse("done"), Some(TaskStatus::Done));
/// assert_eq!(TaskStatus::Open.code(), "open");
/// assert_eq!(TaskStatus::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; $crate::__count!($($variant)+)] = [$($name::$variant),+];

            /// The code stored in the database and sent in forms and JSON.
            pub const fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code ),+
                }
            }

            /// The variant with this code; none for a code this enum does not know.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $( $code => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.code())
            }
        }

        $crate::__code_enum_sqlx!($name);
    };
}

/// With the `sqlx` feature: binds as its code, decodes strictly.
#[cfg(feature = "sqlx")]
#[doc(hidden)]
#[macro_export]
macro_rules! __code_enum_sqlx {
    ($name:ident) => {
        impl<DB: $crate::__sqlx::Database> $crate::__sqlx::Type<DB> for $name
        where
            str: $crate::__sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as $crate::__sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as $crate::__sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: $crate::__sqlx::Database> $crate::__sqlx::Decode<'r, DB> for $name
        where
            &'r str: $crate::__sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as $crate::__sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, $crate::__sqlx::error::BoxDynError> {
                let s = <&'r str as $crate::__sqlx::Decode<'r, DB>>::decode(value)?;
                $name::parse(s).ok_or_else(|| format!("unknown {} code {:?}", stringify!($name), s).into())
            }
        }

        impl<'q, DB: $crate::__sqlx::Database> $crate::__sqlx::Encode<'q, DB> for $name
        where
            &'q str: $crate::__sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as $crate::__sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<$crate::__sqlx::encode::IsNull, $crate::__sqlx::error::BoxDynError> {
                <&'q str as $crate::__sqlx::Encode<'q, DB>>::encode_by_ref(&self.code(), buf)
            }
        }
    };
}

/// Without it (the browser's build): nothing.
#[cfg(not(feature = "sqlx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __code_enum_sqlx {
    ($name:ident) => {};
}

#[cfg(test)]
mod tests {
    crate::code_enum! {
        enum Colour {
            Red = "red",
            Green = "green",
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.code()), Some(c));
        }
        assert_eq!(Colour::parse("blue"), None);
        assert_eq!(Colour::Green.to_string(), "green");
    }
}
