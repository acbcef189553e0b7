//! The `confirm` route as a Lambda function; its logic is `pryv_mfa::routes`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    pryv_mfa::lambda::run(pryv_mfa::routes::Route::Confirm).await
}
