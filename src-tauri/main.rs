//! C2P Care, the Click to Pay care console: the desktop binary.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    c2p_care::run();
}
