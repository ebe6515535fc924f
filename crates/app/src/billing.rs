//! Use cases for billing: payment methods (add a card or a PayPal address through the
//! `PaymentProvider`, set the default, remove) and invoices. Owners, Administrators and
//! Billing Managers only. Gatehouse never charges anyone: the only provider is [`TestPayments`].

use async_trait::async_trait;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::billing::{
    CardInput, CheckedCard, Invoice, InvoiceStatus, PaymentDetails, PaymentMethod, parse_period,
};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind, Target, authorize};
use gatehouse_domain::sid::{AccountSid, InvoiceSid, PaymentMethodSid};
use gatehouse_domain::user::Email;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::members::locked_for;
use crate::secret::new_token;
use crate::{App, account_principal};

/// Why a provider refused a payment method, in words for the person adding it.
#[derive(Debug, Clone)]
pub struct PaymentError(pub String);

/// Where payment methods are kept. Gatehouse stores only what the provider hands back.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Stores a card; returns the provider's reference for it.
    async fn add_card(&self, account: &AccountSid, card: &CheckedCard) -> std::result::Result<String, PaymentError>;
    /// Links a PayPal account; returns the provider's reference.
    async fn add_paypal(&self, account: &AccountSid, email: &Email) -> std::result::Result<String, PaymentError>;
    /// Forgets a payment method.
    async fn remove(&self, reference: &str) -> std::result::Result<(), PaymentError>;
}

/// The test provider: accepts valid cards except Stripe's "declined" test number
/// `4000 0000 0000 0002`, and PayPal addresses except those at `decline.test`. It charges
/// nothing and keeps nothing.
pub struct TestPayments;

#[async_trait]
impl PaymentProvider for TestPayments {
    async fn add_card(&self, _: &AccountSid, card: &CheckedCard) -> std::result::Result<String, PaymentError> {
        if card.digits == "4000000000000002" {
            return Err(PaymentError("Your card was declined.".into()));
        }
        Ok(format!("test_card_{}", &new_token().map_err(|_| PaymentError("no randomness".into()))?[..24]))
    }

    async fn add_paypal(&self, _: &AccountSid, email: &Email) -> std::result::Result<String, PaymentError> {
        if email.as_str().ends_with("@decline.test") {
            return Err(PaymentError("PayPal declined this account.".into()));
        }
        Ok(format!("test_paypal_{}", &new_token().map_err(|_| PaymentError("no randomness".into()))?[..24]))
    }

    async fn remove(&self, _: &str) -> std::result::Result<(), PaymentError> {
        Ok(())
    }
}

/// Input for recording an invoice (by the system).
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub period: String,
    pub amount_cents: i64,
    pub currency: String,
    pub status: InvoiceStatus,
}

impl App {
    async fn billing_read(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
    ) -> Result<Box<dyn gatehouse_domain::store::Tx>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::BillingRead, Target::Account(&account))?;
        account.ensure_active()?;
        Ok(tx)
    }

    /// The account's payment methods, oldest first.
    pub async fn payment_methods(&self, actor: &Actor, account_sid: &AccountSid) -> Result<Vec<PaymentMethod>> {
        let mut tx = self.billing_read(actor, account_sid).await?;
        tx.payment_methods(account_sid).await
    }

    /// The account's invoices, newest first.
    pub async fn invoices(&self, actor: &Actor, account_sid: &AccountSid, page: &PageRequest) -> Result<Page<Invoice>> {
        let mut tx = self.billing_read(actor, account_sid).await?;
        tx.invoices(account_sid, page).await
    }

    /// Stores a new method; the account's first becomes its default.
    async fn save_payment_method(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        details: PaymentDetails,
        provider_ref: String,
    ) -> Result<PaymentMethod> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::BillingWrite).await?;
        let first = tx.payment_methods(account_sid).await?.is_empty();
        let method = PaymentMethod {
            sid: PaymentMethodSid::generate(),
            account_sid: account_sid.clone(),
            details,
            provider_ref,
            is_default: first,
            created_at: now,
        };
        tx.insert_payment_method(&method).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "billing.payment_method_added", method.sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "method": method.label(), "default": first })),
        )
        .await?;
        tx.commit().await?;
        Ok(method)
    }

    /// Checks the actor may change billing before anything goes to the provider.
    async fn ensure_billing_write(&self, actor: &Actor, account_sid: &AccountSid) -> Result<()> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::BillingWrite, Target::Account(&account))?;
        account.ensure_active()
    }

    /// Adds a card: checked here, kept by the provider; only brand, last 4 and expiry stay.
    pub async fn add_card(&self, actor: &Actor, account_sid: &AccountSid, card: &CardInput) -> Result<PaymentMethod> {
        self.ensure_billing_write(actor, account_sid).await?;
        let checked = card.check(self.now())?;
        let reference =
            self.payments.add_card(account_sid, &checked).await.map_err(|e| Error::invalid("number", e.0))?;
        let details = PaymentDetails::Card {
            brand: checked.brand.to_owned(),
            last4: checked.digits[checked.digits.len() - 4..].to_owned(),
            exp_month: checked.exp_month,
            exp_year: checked.exp_year,
        };
        self.save_payment_method(actor, account_sid, details, reference).await
    }

    /// Adds a PayPal account by its email address.
    pub async fn add_paypal(&self, actor: &Actor, account_sid: &AccountSid, email: &str) -> Result<PaymentMethod> {
        self.ensure_billing_write(actor, account_sid).await?;
        let email = Email::parse(email)
            .map_err(|_| Error::invalid("paypal_email", "enter the PayPal account's email address"))?;
        let reference =
            self.payments.add_paypal(account_sid, &email).await.map_err(|e| Error::invalid("paypal_email", e.0))?;
        self.save_payment_method(actor, account_sid, PaymentDetails::Paypal { email }, reference).await
    }

    /// Makes a method the one charged by default.
    pub async fn set_default_payment_method(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        sid: &PaymentMethodSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::BillingWrite).await?;
        let method =
            tx.payment_methods(account_sid).await?.into_iter().find(|m| &m.sid == sid).ok_or(Error::NotFound)?;
        if method.is_default {
            return Ok(());
        }
        tx.set_default_payment_method(account_sid, sid).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "billing.default_payment_method_set", sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "method": method.label() })),
        )
        .await?;
        tx.commit().await
    }

    /// Removes a method; if it was the default, the oldest remaining one becomes the default.
    pub async fn remove_payment_method(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        sid: &PaymentMethodSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::BillingWrite).await?;
        let methods = tx.payment_methods(account_sid).await?;
        let method = methods.iter().find(|m| &m.sid == sid).ok_or(Error::NotFound)?.clone();
        tx.delete_payment_method(account_sid, sid).await?;
        let heir = methods.iter().find(|m| &m.sid != sid).filter(|_| method.is_default);
        if let Some(heir) = heir {
            tx.set_default_payment_method(account_sid, &heir.sid).await?;
        }
        tx.append_audit(
            &AuditEvent::new(actor, "billing.payment_method_removed", sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "method": method.label(), "new_default": heir.map(|h| h.sid.clone()) })),
        )
        .await?;
        tx.commit().await?;
        // Forgetting it at the provider is best effort: Gatehouse no longer refers to it.
        if let Err(e) = self.payments.remove(&method.provider_ref).await {
            tracing::warn!(error = %e.0, "payment provider did not forget a removed method");
        }
        Ok(())
    }

    /// Records an invoice (the system only: invoices come from billing runs, not from people).
    pub async fn record_invoice(&self, actor: &Actor, account_sid: &AccountSid, input: NewInvoice) -> Result<Invoice> {
        if actor.kind != ActorKind::System {
            return Err(Error::Forbidden);
        }
        let period = parse_period(&input.period)?;
        let currency = input.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::invalid("currency", "a three-letter code such as USD"));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let invoice = Invoice {
            sid: InvoiceSid::generate(),
            account_sid: account_sid.clone(),
            period,
            amount_cents: input.amount_cents,
            currency,
            status: input.status,
            issued_at: now,
        };
        tx.insert_invoice(&invoice).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "billing.invoice_recorded", invoice.sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "period": invoice.period, "amount": invoice.amount_label() })),
        )
        .await?;
        tx.commit().await?;
        Ok(invoice)
    }
}
