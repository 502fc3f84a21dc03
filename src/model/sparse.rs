//! [`Sparse`]: a struct most entries leave empty, kept as one null pointer.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A struct most entries leave empty, stored as one null pointer until something is written
/// to it; read and written as a `T` through `Deref`/`DerefMut` (any write, even of `None`,
/// allocates it). A fleet's config has one [`NumberEntry`] per line, and most set none of
/// these keys.
#[derive(Clone, Default)]
pub struct Sparse<T: Unset + 'static>(pub(super) Option<Box<T>>);

/// A type with an everything-unset value, shared by every empty [`Sparse`].
pub trait Unset: Sized + 'static {
    const UNSET: &'static Self;
    fn is_unset(&self) -> bool;
}

impl<T: Unset> From<T> for Sparse<T> {
    fn from(value: T) -> Sparse<T> {
        Sparse((!value.is_unset()).then(|| Box::new(value)))
    }
}

impl<T: Unset> Deref for Sparse<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::UNSET)
    }
}

impl<T: Unset + Default> DerefMut for Sparse<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_default()
    }
}

impl<T: Unset + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}
