//! `mfa-local`: every MFA route on one local HTTP listener, for development.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::Parser;
use mfa_local::sandbox::Sandbox;
use pryv_mfa::config::{Config, ConfigSource};
use pryv_mfa::context::{self, AppContext};
use pryv_mfa::secrets::DataKey;
use pryv_mfa::store::{DynamoDbStore, MemoryStore, Store};

/// Runs the Pryv MFA service locally. With `MFA_TABLE` set it uses that DynamoDB
/// table (the SDK's variables, e.g. `AWS_ENDPOINT_URL_DYNAMODB`, point it at a local
/// server); otherwise it keeps state in memory.
#[derive(Parser)]
#[command(name = "mfa-local", version)]
struct Args {
    /// The configuration file (YAML or JSON); else MFA_CONFIG_FILE or MFA_CONFIG.
    #[arg(long, conflicts_with = "sandbox")]
    config: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:7000")]
    listen: SocketAddr,
    /// Also start, on loopback, a Pryv core stand-in with a demo user and a messaging
    /// endpoint that prints each message (DEVELOPMENT ONLY), with the embedded
    /// configuration.
    #[arg(long)]
    sandbox: bool,
    /// Run the whole MFA flow against the sandbox, print each step, and exit.
    #[arg(long)]
    demo: bool,
    /// Create the DynamoDB table named by MFA_TABLE (with its TTL) when missing.
    #[arg(long)]
    create_table: bool,
}

/// The sandbox core's port in the embedded configuration.
const SANDBOX_CORE_PORT: u16 = 7002;
/// The sandbox messaging endpoint's port in the embedded configuration.
const SANDBOX_MESSAGING_PORT: u16 = 7001;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The demo prints its own steps; request lines would only interleave with them.
    pryv_mfa::logging::init_local(if args.demo { "warn" } else { "info" });
    let sandbox = if args.demo {
        Some(
            Sandbox::start(false)
                .await
                .context("starting the sandbox")?,
        )
    } else if args.sandbox {
        // The ports of the embedded configuration (shared/src/config/default.yaml),
        // when free, so that a copy of it works against this sandbox.
        let sandbox = Sandbox::start_on(true, SANDBOX_CORE_PORT, SANDBOX_MESSAGING_PORT).await;
        Some(sandbox.context("starting the sandbox")?)
    } else {
        None
    };
    let config = match (&sandbox, &args.config) {
        (Some(sandbox), _) => sandbox.config(),
        (None, Some(path)) => {
            let mut config = Config::load(&ConfigSource::File(path.clone()))?;
            context::apply_core_url_override(&mut config)?;
            config
        }
        (None, None) => context::config_from_env().await?,
    };
    let (store, data_key) = store_and_key(&args, &config).await?;
    let ctx = Arc::new(AppContext::new(config, store, data_key)?);
    ctx.log_start("local");

    let listen = if args.demo {
        "127.0.0.1:0".parse()?
    } else {
        args.listen
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    if let Some(sandbox) = sandbox.as_ref().filter(|_| args.demo) {
        tokio::spawn(mfa_local::serve_on(listener, ctx));
        return mfa_local::demo::run(&format!("http://{addr}"), sandbox).await;
    }
    if let Some(sandbox) = &sandbox {
        println!(
            "SANDBOX (development only): demo user '{}' with password '{}'; codes are printed here.\n\
             Sandbox core: {}  messaging endpoint: {}",
            mfa_local::sandbox::DEMO_USER,
            mfa_local::sandbox::DEMO_PASSWORD,
            sandbox.core_url,
            sandbox.messaging_url,
        );
    }
    println!("Pryv MFA listening on http://{addr}");
    mfa_local::serve_on(listener, ctx).await?;
    Ok(())
}

/// DynamoDB when `MFA_TABLE` is set, memory otherwise; the data key from the
/// environment or the configuration, or a fresh one for memory alone.
async fn store_and_key(args: &Args, config: &Config) -> anyhow::Result<(Arc<dyn Store>, DataKey)> {
    match std::env::var("MFA_TABLE").ok().filter(|t| !t.is_empty()) {
        Some(table) => {
            let store = DynamoDbStore::from_env(&table).await;
            if args.create_table {
                store
                    .create_table_if_missing()
                    .await
                    .with_context(|| format!("creating table {table}"))?;
            }
            Ok((Arc::new(store), context::data_key_from(config)?))
        }
        None => {
            if args.create_table {
                bail!("--create-table needs MFA_TABLE");
            }
            // Memory lasts as long as the process: a fresh key fits it, unless one is given.
            let key = context::given_data_key(config)?.unwrap_or_else(DataKey::generate);
            Ok((Arc::new(MemoryStore::new()), key))
        }
    }
}
