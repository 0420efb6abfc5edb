//! End-to-end tests: the real console binary (with its front end embedded) under Xvfb, driven
//! through WebDriver: thirtyfour → tauri-driver → WebKitWebDriver → the app.

mod accessibility;
mod batch;
mod consumer;
mod harness;
mod lifecycle;
mod settings;
mod shell;
mod team;
mod tokens;
mod wizard;
