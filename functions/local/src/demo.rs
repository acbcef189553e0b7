//! The whole MFA flow against a running local server and its sandbox, each step
//! printed: activate, confirm, login, challenge, verify, recover, deactivate.
//!
//! Tokens are printed shortened: enough to follow the flow, not to reuse.

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::sandbox::{Sandbox, DEMO_PASSWORD, DEMO_PHONE, DEMO_USER};

/// One call's answer.
struct Answer {
    status: u16,
    body: Value,
}

/// Runs the flow against the server at `base` (e.g. `http://127.0.0.1:7000`); fails
/// at the first unexpected answer.
pub async fn run(base: &str, sandbox: &Sandbox) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let call = |path: &'static str, auth: Option<String>, body: Value| {
        let client = client.clone();
        let url = format!("{base}/{DEMO_USER}/{path}");
        async move {
            let mut request = client.post(&url).json(&body);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("POST {url}"))?;
            let status = response.status().as_u16();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            println!("POST /{DEMO_USER}/{path} -> {status} {}", shorten(&body));
            anyhow::Ok(Answer { status, body })
        }
    };
    let login_body =
        json!({ "username": DEMO_USER, "password": DEMO_PASSWORD, "appId": "mfa-demo" });

    println!("\n1. Log in without MFA: the core's answer comes back as is.");
    let login = expect(call("auth/login", None, login_body.clone()).await?, 200)?;
    let personal = field(&login, "token")?;

    println!("\n2. Activate MFA with a phone number: a code is sent.");
    let activation = expect(
        call(
            "mfa/activate",
            Some(personal.clone()),
            json!({ "phone": DEMO_PHONE }),
        )
        .await?,
        302,
    )?;
    let mfa_token = field(&activation, "mfaToken")?;

    println!("\n3. Confirm with the code received: MFA is on, recovery codes given.");
    let code = sandbox.latest_code().context("no code received")?;
    let confirmed = expect(
        call("mfa/confirm", Some(mfa_token), json!({ "code": code })).await?,
        200,
    )?;
    let recovery_code = confirmed["recoveryCodes"][0]
        .as_str()
        .context("no recovery code")?
        .to_owned();

    println!("\n4. Log in: only an mfaToken comes back.");
    let login = expect(call("auth/login", None, login_body.clone()).await?, 302)?;
    let mfa_token = field(&login, "mfaToken")?;

    println!("\n5. Ask for a code, then verify it: the core's login answer comes back.");
    expect(
        call("mfa/challenge", Some(mfa_token.clone()), json!({})).await?,
        200,
    )?;
    let code = sandbox.latest_code().context("no code received")?;
    let verified = expect(
        call("mfa/verify", Some(mfa_token), json!({ "code": code })).await?,
        200,
    )?;
    field(&verified, "token")?;

    println!("\n6. Lose the phone: recover with the password and a recovery code.");
    let mut recover_body = login_body.clone();
    recover_body["recoveryCode"] = json!(recovery_code);
    expect(call("mfa/recover", None, recover_body).await?, 200)?;
    let login = expect(call("auth/login", None, login_body.clone()).await?, 200)?;
    let personal = field(&login, "token")?;

    println!("\n7. Activate again, then deactivate with a personal token.");
    let activation = expect(
        call(
            "mfa/activate",
            Some(personal.clone()),
            json!({ "phone": DEMO_PHONE }),
        )
        .await?,
        302,
    )?;
    let code = sandbox.latest_code().context("no code received")?;
    expect(
        call(
            "mfa/confirm",
            Some(field(&activation, "mfaToken")?),
            json!({ "code": code }),
        )
        .await?,
        200,
    )?;
    expect(
        call("mfa/deactivate", Some(personal), json!({})).await?,
        200,
    )?;
    expect(call("auth/login", None, login_body).await?, 200)?;

    println!("\nThe whole flow passed.");
    Ok(())
}

fn expect(answer: Answer, status: u16) -> anyhow::Result<Value> {
    if answer.status != status {
        bail!("expected {status}, got {} {}", answer.status, answer.body);
    }
    Ok(answer.body)
}

fn field(body: &Value, name: &str) -> anyhow::Result<String> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("no '{name}' in the answer"))
}

/// The body with its tokens cut to a few characters and its recovery codes counted.
fn shorten(body: &Value) -> String {
    let mut shown = body.clone();
    if let Some(object) = shown.as_object_mut() {
        if let Some(Value::Array(codes)) = object.get_mut("recoveryCodes") {
            let count = codes.len();
            *codes = vec![json!(format!("({count} codes)"))];
        }
        for key in ["token", "mfaToken", "apiEndpoint"] {
            if let Some(Value::String(text)) = object.get_mut(key) {
                let head: String = text.chars().take(6).collect();
                *text = format!("{head}…");
            }
        }
    }
    shown.to_string()
}
