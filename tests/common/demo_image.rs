//! The busybox demo image the Docker tests run, built once per test binary through
//! Slate's own build path.

use std::process::Command;
use std::sync::OnceLock;

pub const IMAGE: &str = "slate-demo/busybox-progress:1";

pub fn demo_image() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new("docker")
            .arg("info")
            .output()
            .expect("the docker CLI is needed for these tests");
        assert!(
            out.status.success(),
            "no Docker engine is reachable: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reg = slate::runner::function::Registry::load(None);
        let t = reg.get("demo/busybox-progress").unwrap();
        let ctx = slate::runner::image::build_context(t)
            .expect("busybox-static is needed (apt install busybox-static)");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(slate::runner::docker::build_image("", ctx, IMAGE, |_| {}))
            .unwrap();
    });
}
