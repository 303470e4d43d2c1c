//! The Lambda: JSON logs (`ecs_doctor::logging`), settings from the environment, the clients
//! once, then one handler call per event. Everything else lives in the library.

use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle, App};
use ecs_doctor::logging;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

// One thread: a Lambda handles one event at a time, and the reads run concurrently on one
// thread as well as on two (they wait on the network); a single-threaded runtime spares the
// cross-thread wake-ups (BENCHMARKS.md: the CPU per event).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    keep_freed_memory();
    let (rust_log, lambda_level) = (
        std::env::var("RUST_LOG").ok(),
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok(),
    );
    let filter = logging::filter(rust_log.as_deref(), lambda_level.as_deref());
    tracing::subscriber::set_global_default(logging::subscriber(std::io::stdout, filter))
        .expect("the only subscriber");
    if let Some(problem) = logging::log_level_problem(lambda_level.as_deref()) {
        tracing::error!(problem = %problem, "ecs-doctor's metrics are dropped at this log level");
    }

    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(error = %error, "ecs-doctor cannot start: fix the function's environment");
    })?;
    let app = App::new(config).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
        Box::pin(handle(&app, event))
    }))
    .await
}

/// glibc hands memory freed at the top of the heap back to the kernel (above 128 KiB), and the
/// next event takes it back one page fault at a time: a warm event's responses, renderings and
/// message are about the same size each time. A Lambda process serves one event after another
/// within a fixed memory size, so it keeps what it freed (its peak, VmHWM, is the same).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists, and an unsupported parameter is refused (returns 0), which changes nothing.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
