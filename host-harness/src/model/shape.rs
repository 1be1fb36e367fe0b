//! The compiled shapes: a menu of depths (hidden blocks) and widths per task, each pair a
//! network compiled into the binary. [`Menu::visit`] turns a depth and a width on the menu
//! into const generics for a [`VisitShape`].
//!
//! Every shape is compiled for every normalisation, output layout and number type, so the
//! menus are kept small: compile time grows with each entry.

/// Declares the menus from their rows: `Name: depths [..], widths [..];`.
macro_rules! menus {
    ($( $(#[doc = $doc:literal])* $variant:ident: depths [$($d:expr),+], widths $ws:tt; )+) => {
        /// A menu of compiled shapes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Menu {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl Menu {
            /// The depths on the menu.
            pub fn depths(self) -> &'static [usize] {
                match self {
                    $(Menu::$variant => &[$($d),+],)+
                }
            }

            /// The widths on the menu.
            pub fn widths(self) -> &'static [usize] {
                match self {
                    $(Menu::$variant => &menus!(@list $ws),)+
                }
            }

            /// Calls `v` with `depth` and `width` as const generics; a shape off the menu (which
            /// the model spec refuses) is taken as the menu's last.
            pub fn visit<V: VisitShape>(self, depth: usize, width: usize, v: V) -> V::Output {
                match self {
                    $(Menu::$variant => menus!(@depths v, depth, width, $ws, [$($d),+]),)+
                }
            }
        }
    };
    (@list [$($w:expr),+]) => { [$($w),+] };
    (@depths $v:ident, $depth:ident, $width:ident, $ws:tt, [$last:expr]) => {
        menus!(@widths $v, $last, $width, $ws)
    };
    (@depths $v:ident, $depth:ident, $width:ident, $ws:tt, [$d:expr, $($rest:expr),+]) => {
        if $depth == $d {
            menus!(@widths $v, $d, $width, $ws)
        } else {
            menus!(@depths $v, $depth, $width, $ws, [$($rest),+])
        }
    };
    (@widths $v:ident, $d:expr, $width:ident, [$last:expr]) => {
        $v.visit::<{ $d }, { $last }>()
    };
    (@widths $v:ident, $d:expr, $width:ident, [$w:expr, $($rest:expr),+]) => {
        if $width == $w {
            $v.visit::<{ $d }, { $w }>()
        } else {
            menus!(@widths $v, $d, $width, [$($rest),+])
        }
    };
}

menus! {
    /// Deep and narrow, for the generated tasks: the notebook's point at depth.
    Deep: depths [2, 4, 8, 16], widths [8, 16];
    /// The digits network's shape: one block of the hidden width.
    Digits: depths [skipgrad_digits::network::DEPTH], widths [skipgrad_digits::network::HIDDEN];
}

impl Menu {
    /// True if `depth` x `width` is compiled.
    pub fn contains(self, depth: usize, width: usize) -> bool {
        self.depths().contains(&depth) && self.widths().contains(&width)
    }

    /// The menu as `depth {2, 4, 8, 16} x width {8, 16}`.
    pub fn describe(self) -> String {
        let list = |v: &[usize]| {
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "depth {{{}}} x width {{{}}}",
            list(self.depths()),
            list(self.widths())
        )
    }
}

/// What to do with a shape: called with its depth and width.
pub trait VisitShape {
    /// The result.
    type Output;
    /// Runs with `D` hidden blocks of width `W`.
    fn visit<const D: usize, const W: usize>(self) -> Self::Output;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Shape;
    impl VisitShape for Shape {
        type Output = (usize, usize);
        fn visit<const D: usize, const W: usize>(self) -> (usize, usize) {
            (D, W)
        }
    }

    #[test]
    fn every_shape_on_a_menu_is_its_own() {
        for menu in [Menu::Deep, Menu::Digits] {
            for &d in menu.depths() {
                for &w in menu.widths() {
                    assert!(menu.contains(d, w));
                    assert_eq!(menu.visit(d, w, Shape), (d, w), "{menu:?}");
                }
            }
        }
        assert_eq!(Menu::Deep.describe(), "depth {2, 4, 8, 16} x width {8, 16}");
        assert_eq!(Menu::Digits.describe(), "depth {1} x width {32}");
        assert!(!Menu::Deep.contains(3, 8));
    }
}
