//! Starts and stops what an end-to-end test needs: a display, tauri-driver, and the console.
//! Every process is started in its own process group and killed by that group's id when the
//! harness is dropped, so nothing outlives a test, even one that fails.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use thirtyfour::prelude::*;

/// The console binary cargo built for these tests, with the front end embedded.
const CONSOLE: &str = env!("CARGO_BIN_EXE_c2p-care");
const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A display, a running tauri-driver, and the console's private home for one test.
pub struct Harness {
    processes: Vec<Child>,
    port: u16,
    display: String,
    /// Where screenshots and driver logs of this test go.
    pub artifacts: PathBuf,
    /// The console's configuration directory (`$XDG_CONFIG_HOME/<identifier>`).
    pub config_dir: PathBuf,
    /// The administrators' policy file this test build reads (cargo feature `test-hooks`).
    pub system_policy: PathBuf,
    /// Where [`Harness::pick`] leaves the next file for the test build's picker.
    picks: PathBuf,
    /// Where the test build's opener notes what it was asked to open.
    opened: PathBuf,
}

impl Harness {
    /// Starts Xvfb (unless a display is set) and tauri-driver, with the console's files under
    /// `home`. `name` names the test's artifact directory.
    pub fn start(name: &str, home: &Path) -> Harness {
        Self::start_with(name, home, &[])
    }

    /// [`Harness::start`] with extra environment variables for the console.
    pub fn start_with(name: &str, home: &Path, env: &[(&str, &str)]) -> Harness {
        Self::start_driver(name, home, env, None)
    }

    /// Starts tauri-driver (and through it the console) as another OS `account`, on `display`
    /// (another harness's), in that account's own D-Bus session and keyring (what
    /// `scripts/with-secret-service.sh` makes), after `setup`: a shell command run there first,
    /// with `env` (the console's files are under `home`, which the account owns).
    #[allow(
        dead_code,
        reason = "benches/launch.rs includes this file and runs one account"
    )]
    pub fn start_as(
        name: &str,
        home: &Path,
        env: &[(&str, &str)],
        account: &str,
        display: &str,
        setup: &str,
    ) -> Harness {
        Self::start_driver(name, home, env, Some((account, display, setup)))
    }

    fn start_driver(
        name: &str,
        home: &Path,
        env: &[(&str, &str)],
        account: Option<(&str, &str, &str)>,
    ) -> Harness {
        let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("e2e")
            .join(name);
        std::fs::create_dir_all(&artifacts).expect("artifact directory");
        let mut harness = Harness {
            processes: Vec::new(),
            port: free_port(),
            display: String::new(),
            artifacts,
            config_dir: home.join("config").join("app.c2pcare.console"),
            system_policy: home.join("etc/c2p-care/policy.json"),
            picks: home.join("next-pick"),
            opened: home.join("opened"),
        };
        harness.display = match (account, std::env::var("DISPLAY")) {
            (Some((_, display, _)), _) => display.to_owned(),
            (None, Ok(display)) if !display.is_empty() => display,
            _ => {
                let (xvfb, display) = start_xvfb();
                harness.processes.push(xvfb);
                display
            }
        };
        let native_port = free_port();
        let driver_log = std::fs::File::create(harness.artifacts.join("tauri-driver.log")).unwrap();
        let mut command = match account {
            None => Command::new(tauri_driver()),
            Some((account, _, setup)) => {
                // runuser keeps the environment but HOME and SHELL; the script gives the account
                // a session bus and an unlocked keyring of its own.
                let mut command = Command::new("runuser");
                command
                    .args(["-u", account, "--"])
                    .arg(
                        Path::new(env!("CARGO_MANIFEST_DIR"))
                            .join("scripts/with-secret-service.sh"),
                    )
                    .args(["sh", "-c", &format!("set -e; {setup}; exec \"$@\""), "sh"])
                    .arg(tauri_driver());
                command
            }
        };
        command.envs(env.iter().copied());
        let driver = command
            .args(["--port", &harness.port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .args(["--native-driver", WEBKIT_WEBDRIVER])
            .env("DISPLAY", &harness.display)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("C2P_TEST_SYSTEM_POLICY", &harness.system_policy)
            .env("C2P_TEST_PICKS", &harness.picks)
            .env("C2P_TEST_OPENED", &harness.opened)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(driver_log.try_clone().unwrap())
            .stderr(driver_log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver ({e}): run `make setup`"));
        harness.processes.push(driver);
        // Both ports must accept connections before a session is asked for (STACK.md).
        wait_for_port(harness.port);
        wait_for_port(native_port);
        harness
    }

    /// Launches the console and returns a WebDriver session on its window once the search box
    /// is there: WebKitWebDriver can answer the new session before the window has loaded its
    /// page, and a `find` sent then finds nothing.
    pub async fn open(&self) -> WebDriver {
        let driver = self.open_app(Path::new(CONSOLE)).await;
        wait_for(&driver, "[data-testid=search]").await;
        driver
    }

    /// Launches the Tauri app at `application` and returns a WebDriver session on its window.
    pub async fn open_app(&self, application: &Path) -> WebDriver {
        self.open_app_with(application, "normal").await
    }

    /// Launches `application` with a WebDriver page-load strategy: `normal` makes every command
    /// wait for the page's load event, `eager` only for its DOM to be ready (W3C WebDriver).
    pub async fn open_app_with(&self, application: &Path, page_load_strategy: &str) -> WebDriver {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("pageLoadStrategy".into(), json!(page_load_strategy));
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": application }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        tokio::time::timeout(STARTUP_TIMEOUT, WebDriver::new(url, capabilities))
            .await
            .expect("the console did not start within 30 s")
            .expect("WebDriver session")
    }

    /// Writes the administrators' policy file as IT would: theirs, writable by nobody else.
    #[allow(
        dead_code,
        reason = "benches/launch.rs includes this file and needs no policy"
    )]
    pub fn write_system_policy(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let folder = self.system_policy.parent().unwrap();
        std::fs::create_dir_all(folder).unwrap();
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&self.system_policy, text).unwrap();
        std::fs::set_permissions(&self.system_policy, std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }

    /// The X display the console shows on.
    #[allow(
        dead_code,
        reason = "benches/launch.rs includes this file and needs no display"
    )]
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Makes the test build's file picker (cargo feature `test-hooks`) choose `path` the next
    /// time the console opens it, as an operator would in the system's dialog.
    #[allow(
        dead_code,
        reason = "benches/launch.rs includes this file and picks no file"
    )]
    pub fn pick(&self, path: &Path) {
        std::fs::write(&self.picks, path.display().to_string()).unwrap();
    }

    /// What the test build's opener (cargo feature `test-hooks`) was asked to open, in order.
    #[allow(
        dead_code,
        reason = "benches/launch.rs includes this file and opens nothing"
    )]
    pub fn opened(&self) -> Vec<PathBuf> {
        std::fs::read_to_string(&self.opened)
            .unwrap_or_default()
            .lines()
            .map(PathBuf::from)
            .collect()
    }

    /// The pid of tauri-driver, whose descendants include the launched app.
    #[allow(
        dead_code,
        reason = "used by benches/launch.rs, which includes this file"
    )]
    pub fn driver_pid(&self) -> u32 {
        self.processes.last().expect("tauri-driver").id()
    }

    /// Saves a screenshot of the display the console runs on as `<artifacts>/<name>.png`.
    /// It is taken from the X server with ImageMagick's `import`: WebKitWebDriver's own
    /// screenshot command hangs for good after any click or key press sent through WebDriver.
    pub async fn screenshot(&self, driver: &WebDriver, name: &str) -> PathBuf {
        // Two animation frames, so the picture shows what was just rendered (STACK.md).
        driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                Vec::new(),
            )
            .await
            .expect("animation frames");
        let path = self.artifacts.join(format!("{name}.png"));
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status()
            .unwrap_or_else(|e| panic!("cannot run ImageMagick's import ({e}): run `make setup`"));
        assert!(status.success(), "import failed: {status}");
        path
    }
}

/// Starts Xvfb at 1280×800 in its own process group; returns it and its display.
fn start_xvfb() -> (Child, String) {
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start Xvfb ({e}): run `make setup`"));
    let stdout = xvfb.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("Xvfb display number");
    (xvfb, format!(":{}", line.trim()))
}

impl Drop for Harness {
    fn drop(&mut self) {
        kill_groups(&mut self.processes);
    }
}

/// The console started directly (no WebDriver) on its own Xvfb display, with its files under
/// the given home; both are killed when this is dropped.
pub struct Launched {
    processes: Vec<Child>,
    /// The console's data directory (`$XDG_DATA_HOME/<identifier>`), where its logs are.
    pub data_dir: PathBuf,
}

impl Launched {
    /// Starts Xvfb and the console.
    pub fn start(home: &Path) -> Launched {
        let (xvfb, display) = start_xvfb();
        let mut processes = vec![xvfb];
        let app = Command::new(CONSOLE)
            .env("DISPLAY", display)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the console starts");
        processes.push(app);
        Launched {
            processes,
            data_dir: home.join("data").join("app.c2pcare.console"),
        }
    }

    /// Sends `signal` to the console alone and waits up to `within` for it to exit.
    pub fn signal_and_wait(&mut self, signal: i32, within: Duration) -> Option<ExitStatus> {
        let app = self.processes.last_mut().expect("the console");
        let pid = i32::try_from(app.id()).expect("pid fits in i32");
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped yet.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, signal);
        }
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = app.try_wait().expect("wait for the console") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        kill_groups(&mut self.processes);
    }
}

/// Kills each child's process group, newest first, and reaps the child.
fn kill_groups(processes: &mut [Child]) {
    for child in processes.iter_mut().rev() {
        let group = i32::try_from(child.id()).expect("pid fits in i32");
        // SAFETY: kill(2) with a negative pid signals the process group we created for this
        // child (process_group(0) made its pid the group id); no memory is involved.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = child.wait();
    }
}

/// The tauri-driver that `make setup` installed, or the one named by `TAURI_DRIVER`.
fn tauri_driver() -> PathBuf {
    std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/tauri-driver"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port} after 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits up to 10 s until the text of the element matching `css` is `expected`.
pub async fn wait_for_text(driver: &WebDriver, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = driver
            .find(By::Css(css))
            .await
            .expect(css)
            .text()
            .await
            .unwrap_or_default();
        if text == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} shows {text:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses Enter on the element matching `css` (the keyboard, as an operator without a mouse
/// would; a WebDriver pointer click leaves the next screenshot request hanging).
/// It waits up to 10 s for the element to be enabled, as an operator would (a button may wait
/// for the policy to arrive).
pub async fn press_enter(driver: &WebDriver, css: &str) {
    let element = wait_for(driver, css).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !element.is_enabled().await.unwrap_or(true) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    element.send_keys(Key::Enter).await.unwrap();
}

/// Replaces what the field at `css` holds with `text`, typed.
pub async fn type_into(driver: &WebDriver, css: &str, text: &str) {
    let field = wait_for(driver, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// The element matching `css`, waiting up to 10 s for it (screens other than search load on
/// demand).
pub async fn wait_for(driver: &WebDriver, css: &str) -> WebElement {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match driver.find(By::Css(css)).await {
            Ok(element) => return element,
            Err(error) if Instant::now() >= deadline => panic!("{css}: {error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits up to 15 s until no element matches `css` (a dialog closed once its work is done).
pub async fn wait_until_gone(driver: &WebDriver, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !driver
        .find_all(By::Css(css))
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{css} still there after 15 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits up to 15 s until some element matching `css` has `needle` in its text; returns it.
pub async fn wait_for_containing(driver: &WebDriver, css: &str, needle: &str) -> WebElement {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        for element in driver.find_all(By::Css(css)).await.unwrap_or_default() {
            if element.text().await.unwrap_or_default().contains(needle) {
                return element;
            }
        }
        if Instant::now() >= deadline {
            let text = match driver.find(By::Css("main")).await {
                Ok(main) => main.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("no {css} containing {needle:?} after 15 s; the window shows:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
