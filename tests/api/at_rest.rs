//! Secrets at rest: after full flows on DynamoDB, a scan of the whole table shows no
//! mfaToken, code, recovery code, phone number, user value or core token in clear.

use mfa_tests::fake_core::core_token;
use mfa_tests::{scan_table, spawn_app, Mode, StoreKind, TestOptions};

/// Activation, an MFA login verified, and a login left pending with a code sent: the
/// table then holds a profile, sessions and counters, none of them readable.
#[tokio::test]
async fn a_table_scan_after_full_flows_holds_no_secret_in_clear() {
    for mode in Mode::ALL {
        let app = spawn_app(TestOptions::new(StoreKind::DynamoDb).mode(mode)).await;
        let mut secrets = app.activate_mfa().await;
        secrets.push(app.personal_token());
        secrets.push(core_token(&app.user));
        for value in app
            .user_data()
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
        {
            let value = value.as_str().unwrap_or_default();
            secrets.push(value.to_owned());
            secrets.push(value.trim_start_matches('+').to_owned());
        }

        let verified = app.mfa_login().await;
        app.challenge(&verified).await.assert_status(200);
        let code = app.current_code().await;
        app.verify(&verified, &code).await.assert_status(200);
        let pending = app.mfa_login().await;
        app.challenge(&pending).await.assert_status(200);
        secrets.extend([verified, pending, code, app.current_code().await]);

        let table = app.table().expect("a DynamoDB app has a table");
        let items = scan_table(table).await;

        for prefix in ["user#", "session#", "counter#"] {
            assert!(
                items.iter().any(|(pk, _)| pk.starts_with(prefix)),
                "{mode:?}: no {prefix} item to look into"
            );
        }
        for (pk, item) in &items {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                assert!(
                    !item.contains(secret.as_str()),
                    "{mode:?}: item {pk} holds a secret in clear ({} chars)",
                    secret.len()
                );
            }
        }
    }
}
