//! Runnable examples of embedding ajo; see the `examples/` targets of this package:
//! `quickstart` (the main job for a newcomer) and `calc` (a command-line calculator over
//! the reference cases).

#[cfg(doctest)]
mod guide;
