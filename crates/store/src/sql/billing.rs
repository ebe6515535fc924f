//! SQL for payment methods and invoices.

use async_trait::async_trait;
use gatehouse_domain::billing::{Invoice, InvoiceStatus, PaymentDetails, PaymentMethod};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, InvoiceSid, PaymentMethodSid};
use gatehouse_domain::store::BillingTx;
use gatehouse_domain::user::Email;
use gatehouse_domain::{Error, Result};

use super::EngineTx;
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! pm_columns {
    () => {
        "sid, account_sid, kind, brand, last4, exp_month, exp_year, paypal_email, provider_ref, is_default, created_at"
    };
}

fn payment_method(r: &Row) -> Result<PaymentMethod> {
    let kind: String = get(r, "kind")?;
    let details = match kind.as_str() {
        "card" => PaymentDetails::Card {
            brand: get::<Option<String>>(r, "brand")?.unwrap_or_default(),
            last4: get::<Option<String>>(r, "last4")?.unwrap_or_default(),
            exp_month: u32::try_from(get::<Option<i32>>(r, "exp_month")?.unwrap_or_default())
                .map_err(|e| Error::Internal(format!("exp_month: {e}")))?,
            exp_year: get::<Option<i32>>(r, "exp_year")?.unwrap_or_default(),
        },
        _ => PaymentDetails::Paypal {
            email: Email::parse(&get::<Option<String>>(r, "paypal_email")?.unwrap_or_default()).map_err(corrupt)?,
        },
    };
    Ok(PaymentMethod {
        sid: PaymentMethodSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        details,
        provider_ref: get(r, "provider_ref")?,
        is_default: get(r, "is_default")?,
        created_at: get(r, "created_at")?,
    })
}

#[async_trait]
impl BillingTx for EngineTx {
    async fn insert_payment_method(&mut self, m: &PaymentMethod) -> Result<()> {
        let (kind, brand, last4, month, year, email) = match &m.details {
            PaymentDetails::Card { brand, last4, exp_month, exp_year } => (
                "card",
                Some(brand.as_str()),
                Some(last4.as_str()),
                Some(i32::try_from(*exp_month).map_err(|e| Error::Internal(format!("exp_month: {e}")))?),
                Some(*exp_year),
                None,
            ),
            PaymentDetails::Paypal { email } => ("paypal", None, None, None, None, Some(email.as_str())),
        };
        sqlx::query(concat!(
            "INSERT INTO payment_methods (",
            pm_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(m.sid.as_str())
        .bind(m.account_sid.as_str())
        .bind(kind)
        .bind(brand)
        .bind(last4)
        .bind(month)
        .bind(year)
        .bind(email)
        .bind(&m.provider_ref)
        .bind(m.is_default)
        .bind(m.created_at)
        .run(&mut self.tx)
        .await
    }

    async fn payment_methods(&mut self, account: &AccountSid) -> Result<Vec<PaymentMethod>> {
        let rows =
            sqlx::query(concat!("SELECT ", pm_columns!(), " FROM payment_methods WHERE account_sid = $1 ORDER BY sid"))
                .bind(account.as_str())
                .rows(&mut self.tx)
                .await?;
        rows.iter().map(payment_method).collect()
    }

    async fn set_default_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()> {
        let c = &mut *self.tx;
        // Clear first: the partial unique index allows one default per account at any moment.
        sqlx::query("UPDATE payment_methods SET is_default = FALSE WHERE account_sid = $1 AND is_default")
            .bind(account.as_str())
            .run(c)
            .await?;
        sqlx::query("UPDATE payment_methods SET is_default = TRUE WHERE account_sid = $1 AND sid = $2")
            .bind(account.as_str())
            .bind(sid.as_str())
            .run(c)
            .await
    }

    async fn delete_payment_method(&mut self, account: &AccountSid, sid: &PaymentMethodSid) -> Result<()> {
        sqlx::query("DELETE FROM payment_methods WHERE account_sid = $1 AND sid = $2")
            .bind(account.as_str())
            .bind(sid.as_str())
            .run(&mut self.tx)
            .await
    }

    async fn insert_invoice(&mut self, i: &Invoice) -> Result<()> {
        sqlx::query(
            "INSERT INTO invoices (sid, account_sid, period, amount_cents, currency, status, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(i.sid.as_str())
        .bind(i.account_sid.as_str())
        .bind(&i.period)
        .bind(i.amount_cents)
        .bind(&i.currency)
        .bind(i.status.as_str())
        .bind(i.issued_at)
        .run(&mut self.tx)
        .await
    }

    async fn invoices(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<Invoice>> {
        sqlx::query(
            "SELECT sid, account_sid, period, amount_cents, currency, status, issued_at FROM invoices \
             WHERE account_sid = $1 AND sid < $2 AND ($3 IS NULL OR period LIKE $3 ESCAPE '\\') \
             ORDER BY sid DESC LIMIT $4",
        )
        .bind(account.as_str())
        .page(&mut self.tx, page, Keyset::Descending, invoice, |i| i.sid.to_string())
        .await
    }
}

fn invoice(r: &Row) -> Result<Invoice> {
    Ok(Invoice {
        sid: InvoiceSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        period: get(r, "period")?,
        amount_cents: get(r, "amount_cents")?,
        currency: get(r, "currency")?,
        status: InvoiceStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        issued_at: get(r, "issued_at")?,
    })
}
