//! The smallest Tauri window with a search box and nothing behind it: the baseline `make bench`
//! compares the console's launch time and memory with (built from the same Tauri, same profile).

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!(
            "examples/minimal-window/tauri.conf.json"
        ))
        .expect("the window opens");
}
