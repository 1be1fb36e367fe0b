//! The table behind every run-time choice: [`choice!`] declares an enum from rows of
//! `Variant = "cli-name", "Title";`, each with its doc comment, and derives from them
//! everything that names a value: [`ALL`](crate::model::ActivationKind::ALL) in the table's
//! order, `name()` (the command line's and JSON's), `title()` (prose, plot titles),
//! `from_name`, clap's `ValueEnum` (the names, with the doc comment as `--help` text),
//! `serde::Serialize` and `Display` (the name). A part's own table macro
//! ([`crate::model::activation`], [`crate::model::loss`], ...) calls it with its rows and
//! adds what the rows' other columns say (the core type, the number types it exists in).
//!
//! [`if_in!`] picks code by whether a number type is listed in a row, so a row can name a
//! core type that exists only in some number types.

/// Declares an enum whose rows carry a command-line name and a title (see the
/// [module](self)).
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $cli:literal, $title:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl $name {
            /// Every value, in the table's order (the order of `--help`).
            pub const ALL: [$name; [$($cli),+].len()] = [$($name::$variant),+];

            /// The name on the command line and in JSON.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $cli,)+
                }
            }

            /// The name in prose, plot titles and legends.
            pub const fn title(self) -> &'static str {
                match self {
                    $($name::$variant => $title,)+
                }
            }

            /// The value named `name` on the command line.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.name() == name)
            }

            /// The row's doc comment, as `--help` shows it.
            fn help(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($($doc),*),)+
                }
            }
        }

        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                &Self::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.name()).help(self.help().trim()))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// `if_in!(Q16 [F32, F64] { yes } { no })`: `yes` when the number type (a variant of
/// [`Number`](crate::model::Number)) is in the list, `no` otherwise. Only the chosen block is
/// compiled, so `yes` may use a core type that does not exist in the other number types.
macro_rules! if_in {
    (F32 [F32 $(, $rest:ident)*] $yes:block $no:block) => { $yes };
    (F64 [F64 $(, $rest:ident)*] $yes:block $no:block) => { $yes };
    (Q16 [Q16 $(, $rest:ident)*] $yes:block $no:block) => { $yes };
    ($want:ident [] $yes:block $no:block) => { $no };
    ($want:ident [$other:ident $(, $rest:ident)*] $yes:block $no:block) => {
        $crate::model::table::if_in!($want [$($rest),*] $yes $no)
    };
}

pub(crate) use {choice, if_in};

#[cfg(test)]
mod tests {
    choice! {
        /// A test table.
        pub enum Fruit {
            /// A red one.
            Apple = "apple", "Apple";
            /// A long
            /// yellow one.
            Banana = "banana-split", "Banana";
        }
    }

    #[test]
    fn a_table_names_its_rows() {
        use clap::ValueEnum as _;
        assert_eq!(Fruit::ALL, [Fruit::Apple, Fruit::Banana]);
        assert_eq!(Fruit::Banana.name(), "banana-split");
        assert_eq!(Fruit::Banana.title(), "Banana");
        assert_eq!(Fruit::from_name("apple"), Some(Fruit::Apple));
        assert_eq!(Fruit::from_name("Apple"), None);
        assert_eq!(Fruit::from_str("banana-split", false), Ok(Fruit::Banana));
        let help = Fruit::Banana
            .to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string));
        assert_eq!(help.as_deref(), Some("A long yellow one."));
        assert_eq!(
            serde_json::to_string(&Fruit::Banana).ok().as_deref(),
            Some("\"banana-split\"")
        );
        assert_eq!(Fruit::Apple.to_string(), "apple");
    }

    #[test]
    fn if_in_picks_by_membership() {
        let yes = if_in!(Q16 [F32, Q16] { 1 } { 0 });
        let no = if_in!(F64 [F32, Q16] { 1 } { 0 });
        let none = if_in!(F32 [] { 1 } { 0 });
        assert_eq!((yes, no, none), (1, 0, 0));
    }
}
