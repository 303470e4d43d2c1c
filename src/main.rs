//! The Lambda: JSON logs, settings from the environment, the clients once, then one handler call
//! per event. Everything else lives in the library.

use ecs_doctor::config::Config;
use ecs_doctor::handler::{handle, App};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use tracing_subscriber::filter::{LevelFilter, Targets};

// One thread: a Lambda handles one event at a time, and the reads run concurrently on one
// thread as well as on two (they wait on the network); a single-threaded runtime spares the
// cross-thread wake-ups (BENCHMARKS.md: the CPU per event).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // AWS_LAMBDA_LOG_LEVEL is what the console's "log level" sets; RUST_LOG wins for development
    // (`info`, `ecs_doctor=debug,info`: target=level directives, without EnvFilter's regular
    // expressions, which would be the binary's only ones).
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .map(|level| level.to_ascii_lowercase().replace("fatal", "error"))
        })
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(tracing_subscriber::layer::SubscriberExt::with(
        subscriber, filter,
    ))
    .expect("the only subscriber");

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
