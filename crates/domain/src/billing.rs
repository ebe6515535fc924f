//! Billing as the console shows it: payment methods on file (a card as brand, last 4 and
//! expiry, or a PayPal address) and invoices. Card numbers never reach Gatehouse's storage: a
//! payment provider keeps them and hands back a reference.

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{AccountSid, InvoiceSid, PaymentMethodSid};
use crate::user::Email;

/// What a payment method is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PaymentDetails {
    Card { brand: String, last4: String, exp_month: u32, exp_year: i32 },
    Paypal { email: Email },
}

/// A payment method on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentMethod {
    pub sid: PaymentMethodSid,
    pub account_sid: AccountSid,
    pub details: PaymentDetails,
    /// The provider's handle for it (never a card number).
    #[serde(skip)]
    pub provider_ref: String,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
}

impl PaymentMethod {
    /// "Visa •••• 4242, expires 04/2030" or "PayPal ana@example.com".
    pub fn label(&self) -> String {
        match &self.details {
            PaymentDetails::Card { brand, last4, exp_month, exp_year } => {
                format!("{brand} •••• {last4}, expires {exp_month:02}/{exp_year}")
            }
            PaymentDetails::Paypal { email } => format!("PayPal {email}"),
        }
    }
}

/// A card as typed into the form, on its way to the payment provider.
#[derive(Debug, Clone)]
pub struct CardInput {
    pub number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub cvc: String,
}

/// A card's checked number and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCard {
    pub digits: String,
    pub brand: &'static str,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl CardInput {
    /// Checks the number (Luhn, known brand), the expiry (not past) and the CVC's shape.
    pub fn check(&self, now: DateTime<Utc>) -> Result<CheckedCard, Error> {
        let digits: String = self.number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || !luhn(&digits) {
            return Err(Error::invalid("number", "this is not a valid card number"));
        }
        let brand = brand_of(&digits).ok_or_else(|| Error::invalid("number", "this card brand is not accepted"))?;
        let exp_month: u32 = self
            .exp_month
            .trim()
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(|| Error::invalid("exp_month", "enter the month as 1 to 12"))?;
        let mut exp_year: i32 =
            self.exp_year.trim().parse().map_err(|_| Error::invalid("exp_year", "enter the year, e.g. 2030"))?;
        if (0..100).contains(&exp_year) {
            exp_year += 2000;
        }
        if (exp_year, exp_month) < (now.year(), now.month()) {
            return Err(Error::invalid("exp_year", "this card has expired"));
        }
        let cvc_len = if brand == "American Express" { 4 } else { 3 };
        let cvc = self.cvc.trim();
        if cvc.len() != cvc_len || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("cvc", format!("enter the {cvc_len}-digit security code")));
        }
        Ok(CheckedCard { digits, brand, exp_month, exp_year })
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if !i.is_multiple_of(2) {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn brand_of(digits: &str) -> Option<&'static str> {
    let two: u32 = digits.get(..2)?.parse().ok()?;
    let four: u32 = digits.get(..4)?.parse().ok()?;
    match () {
        _ if digits.starts_with('4') => Some("Visa"),
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => Some("Mastercard"),
        _ if two == 34 || two == 37 => Some("American Express"),
        _ if four == 6011 || two == 65 => Some("Discover"),
        _ => None,
    }
}

/// Whether an invoice is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    Open,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "open" => Ok(InvoiceStatus::Open),
            "paid" => Ok(InvoiceStatus::Paid),
            "void" => Ok(InvoiceStatus::Void),
            _ => Err(Error::invalid("status", "must be open, paid or void")),
        }
    }
}

/// An invoice of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub sid: InvoiceSid,
    pub account_sid: AccountSid,
    /// The billing month, `YYYY-MM`.
    pub period: String,
    pub amount_cents: i64,
    pub currency: String,
    pub status: InvoiceStatus,
    pub issued_at: DateTime<Utc>,
}

impl Invoice {
    /// "USD 12.34".
    pub fn amount_label(&self) -> String {
        let sign = if self.amount_cents < 0 { "-" } else { "" };
        let abs = self.amount_cents.unsigned_abs();
        format!("{} {sign}{}.{:02}", self.currency, abs / 100, abs % 100)
    }
}

/// Parses `YYYY-MM`.
pub fn parse_period(s: &str) -> Result<String, Error> {
    let ok = s.len() == 7
        && s.as_bytes()[4] == b'-'
        && s[..4].parse::<u32>().is_ok()
        && s[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    if ok { Ok(s.to_owned()) } else { Err(Error::invalid("period", "write the month as YYYY-MM")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn card(number: &str, month: &str, year: &str, cvc: &str) -> CardInput {
        CardInput { number: number.into(), exp_month: month.into(), exp_year: year.into(), cvc: cvc.into() }
    }

    #[test]
    fn cards_are_checked_for_number_brand_expiry_and_code() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        let ok = card("4242 4242 4242 4242", "4", "30", "123").check(now).unwrap();
        assert_eq!((ok.brand, ok.exp_month, ok.exp_year), ("Visa", 4, 2030));
        assert_eq!(card("5555555555554444", "11", "2026", "123").check(now).unwrap().brand, "Mastercard");
        assert_eq!(card("378282246310005", "1", "2027", "1234").check(now).unwrap().brand, "American Express");
        let field = |c: CardInput| match c.check(now) {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(card("4242424242424241", "4", "30", "123")), "number", "Luhn");
        assert_eq!(field(card("9999999999999995", "4", "30", "123")), "number", "unknown brand");
        assert_eq!(field(card("4242424242424242", "13", "30", "123")), "exp_month");
        assert_eq!(field(card("4242424242424242", "10", "2026", "123")), "exp_year", "expired last month");
        assert_eq!(field(card("378282246310005", "1", "2027", "123")), "cvc", "Amex needs 4 digits");
    }

    #[test]
    fn labels_and_amounts_read_as_people_expect() {
        let pm = PaymentMethod {
            sid: PaymentMethodSid::generate(),
            account_sid: AccountSid::generate(),
            details: PaymentDetails::Card { brand: "Visa".into(), last4: "4242".into(), exp_month: 4, exp_year: 2030 },
            provider_ref: "r".into(),
            is_default: true,
            created_at: Utc::now(),
        };
        assert_eq!(pm.label(), "Visa •••• 4242, expires 04/2030");
        let inv = Invoice {
            sid: InvoiceSid::generate(),
            account_sid: AccountSid::generate(),
            period: "2026-10".into(),
            amount_cents: 123_405,
            currency: "USD".into(),
            status: InvoiceStatus::Paid,
            issued_at: Utc::now(),
        };
        assert_eq!(inv.amount_label(), "USD 1234.05");
        assert!(parse_period("2026-10").is_ok() && parse_period("2026-13").is_err() && parse_period("26-10").is_err());
    }
}
