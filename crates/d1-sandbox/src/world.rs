//! The simulated state: the bank's records, each directory's profiles, and the operations on
//! them. Writes happen in two steps, as in D1: [`World::start`] checks the request and records a
//! PENDING operation; [`World::finish`] applies it later and records SUCCESSFUL or FAILED.

use std::collections::{BTreeMap, HashMap};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::error::ApiError;
use crate::model::{AccountStatus, BillingAddress, ConsumerInfo, IssuerConsumer, Profile, Scheme};
use crate::seed::Population;
use crate::tokens::{DigitalCard, Party, TokenWrite};

mod requestors;

/// The status of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Accepted, not yet applied.
    Pending,
    /// Applied.
    Successful,
    /// Refused when applied; `errorCode` says why.
    Failed,
}

/// What a write asks for.
#[derive(Debug, Clone)]
pub enum Action {
    /// Enrol a card (and, the first time, its consumer) in the card's directory.
    Enrol {
        /// The card.
        card_id: String,
        /// Visa cardholder name to use instead of the bank's.
        cardholder_name: Option<String>,
    },
    /// Replace a card's billing address (and Visa cardholder name).
    UpdateCard {
        /// The card.
        card_id: String,
        /// New billing address; the bank's when absent.
        billing_address: Option<BillingAddress>,
        /// New Visa cardholder name; the bank's when absent.
        card_holder_name: Option<String>,
    },
    /// Replace a consumer's details in every directory holding them.
    UpdateConsumer {
        /// The consumer.
        consumer_id: String,
        /// All consumer fields.
        info: ConsumerInfo,
    },
    /// Remove a card from its directory (and the consumer, if it was their last card there).
    OptOutCard {
        /// The card.
        card_id: String,
    },
    /// Remove a consumer and all their cards from every directory.
    OptOutConsumer {
        /// The consumer.
        consumer_id: String,
    },
    /// Suspend, resume or delete a digital card.
    Token {
        /// The digital card.
        digital_card_id: String,
        /// What is done to it.
        write: TokenWrite,
        /// Who does it: the issuer, or the token's requestor.
        by: Party,
    },
    /// Delete a card: it leaves Click to Pay (its tokens are deleted by operations of their own).
    DeleteCard {
        /// The card.
        card_id: String,
    },
}

impl Action {
    /// The operation's name in the list, as D1 v2 spells it or (`v1`) as D1 v1 did.
    fn name(&self, v1: bool) -> &'static str {
        match self {
            Action::Enrol { .. } => "CLICK_TO_PAY_ENROLMENT",
            Action::UpdateCard { .. } | Action::UpdateConsumer { .. } => "CLICK_TO_PAY_UPDATE",
            Action::OptOutCard { .. } | Action::OptOutConsumer { .. } if v1 => {
                "CLICK_TO_PAY_OPTOUT"
            }
            Action::OptOutCard { .. } | Action::OptOutConsumer { .. } => "CLICK_TO_PAY_OPT_OUT",
            Action::Token { write, .. } => match write {
                TokenWrite::Suspend => "SUSPEND",
                TokenWrite::Resume => "RESUME",
                TokenWrite::Delete => "DELETE",
            },
            Action::DeleteCard { .. } => "DELETE",
        }
    }

    /// The digital card a token operation is about; `None` for the others.
    pub fn digital_card_id(&self) -> Option<&str> {
        match self {
            Action::Token {
                digital_card_id, ..
            } => Some(digital_card_id),
            _ => None,
        }
    }

    /// The card a card operation is about; `None` for consumer operations.
    pub fn card_id(&self) -> Option<&str> {
        match self {
            Action::Enrol { card_id, .. }
            | Action::UpdateCard { card_id, .. }
            | Action::OptOutCard { card_id }
            | Action::DeleteCard { card_id } => Some(card_id),
            _ => None,
        }
    }

    /// The consumer a consumer operation is about; `None` for card operations.
    pub fn consumer_id(&self) -> Option<&str> {
        match self {
            Action::UpdateConsumer { consumer_id, .. } | Action::OptOutConsumer { consumer_id } => {
                Some(consumer_id)
            }
            _ => None,
        }
    }
}

/// An operation, as D1 lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Its id.
    pub operation_id: String,
    /// `CLICK_TO_PAY_ENROLMENT`, `CLICK_TO_PAY_UPDATE`, `CLICK_TO_PAY_OPT_OUT`, or a token's
    /// `SUSPEND`, `RESUME`, `DELETE`.
    pub operation: &'static str,
    /// Who asked for it: `ISSUER` (the bank), `USER`, `TSP`, `CCI` or `D1`.
    pub requestor_type: &'static str,
    /// The requestor's id, when not the bank: a merchant's or a wallet's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requestor_id: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// When it was accepted (ISO 8601 UTC, milliseconds).
    pub start_time: String,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// The caller's free-text reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The caller's reason code (none given by another requestor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    /// Why it failed, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What it does.
    #[serde(skip)]
    pub action: Action,
}

impl Operation {
    /// Ends it at `now` with `outcome`: SUCCESSFUL, or FAILED with its error.
    fn settle(&mut self, outcome: Result<(), (&'static str, String)>, now: String) {
        self.end_time = Some(now);
        match outcome {
            Ok(()) => self.status = Status::Successful,
            Err((code, message)) => {
                self.status = Status::Failed;
                self.error_code = Some(code);
                self.error = Some(message);
            }
        }
    }
}

/// The whole simulated state.
pub struct World {
    bank: BTreeMap<String, IssuerConsumer>,
    /// Which consumer owns each card, from the bank's records and the directories.
    card_owner: HashMap<String, String>,
    directories: BTreeMap<Scheme, BTreeMap<String, Profile>>,
    operations: HashMap<String, Operation>,
    /// Every card's digital cards, by digitalCardId.
    tokens: BTreeMap<String, DigitalCard>,
    /// Each card's digitalCardIds, oldest first.
    card_tokens: HashMap<String, Vec<String>>,
    card_operations: HashMap<String, Vec<String>>,
    /// Each digital card's operations.
    token_operations: HashMap<String, Vec<String>>,
    consumer_operations: HashMap<String, Vec<String>>,
    /// The card of each seeded card's test PAN (what a merchant gateway tokenizes).
    test_pans: HashMap<String, String>,
    next_operation: u64,
    /// Whether operations are listed under D1 v1's names.
    pub v1_operation_names: bool,
    /// What this instance's operation ids begin with, so that two sandboxes (one after a
    /// restart, say) never hand out the same id.
    pub operation_prefix: String,
    /// How far its clock is from the real time.
    pub clock_offset: chrono::TimeDelta,
}

fn card_scheme_in(
    directories: &BTreeMap<Scheme, BTreeMap<String, Profile>>,
    owner: &str,
    card_id: &str,
) -> Option<Scheme> {
    directories
        .iter()
        .find(|(_, profiles)| {
            profiles
                .get(owner)
                .is_some_and(|p| p.cards.iter().any(|c| c.card_id == card_id))
        })
        .map(|(scheme, _)| *scheme)
}

/// Why a card write failed when applied: the card left its directory meanwhile.
fn not_enrolled(card_id: &str) -> (&'static str, String) {
    (
        "CARD_NOT_ENROLLED",
        format!("card {card_id} is no longer enrolled"),
    )
}

impl World {
    /// A world holding `population` and its cards' digital cards made from `seed`.
    pub fn new(seed: u64, population: Population) -> Self {
        let tokens = crate::tokens::generate(seed, &population);
        let mut card_tokens: HashMap<String, Vec<String>> = HashMap::new();
        for token in tokens.values() {
            card_tokens
                .entry(token.card_id.clone())
                .or_default()
                .push(token.digital_card_id.clone());
        }
        let mut card_owner = HashMap::new();
        let mut test_pans = HashMap::new();
        for consumer in population.bank.values() {
            for card in &consumer.cards {
                card_owner.insert(card.card_id.clone(), consumer.consumer_id.clone());
                test_pans.insert(crate::tokens::test_pan(card), card.card_id.clone());
            }
        }
        for profiles in population.directories.values() {
            for (consumer_id, profile) in profiles {
                for card in &profile.cards {
                    card_owner
                        .entry(card.card_id.clone())
                        .or_insert_with(|| consumer_id.clone());
                }
            }
        }
        let mut world = Self {
            bank: population.bank,
            card_owner,
            directories: population.directories,
            operations: HashMap::new(),
            tokens,
            card_tokens,
            card_operations: HashMap::new(),
            token_operations: HashMap::new(),
            consumer_operations: HashMap::new(),
            test_pans,
            next_operation: 1,
            v1_operation_names: false,
            operation_prefix: "op".into(),
            clock_offset: chrono::TimeDelta::zero(),
        };
        world.seed_token_history();
        world
    }

    /// What other parties did to the seeded tokens, in their operations lists: a merchant's
    /// deleted token was deleted by that merchant (`TSP`), a token its requestor suspended was
    /// suspended by it, a deleted Click to Pay token was deleted by the network.
    fn seed_token_history(&mut self) {
        let done: Vec<(String, TokenWrite, String, String)> = self
            .tokens
            .values()
            .filter_map(|token| {
                let write = match token.state {
                    crate::tokens::TokenState::Deleted => TokenWrite::Delete,
                    crate::tokens::TokenState::Suspended => TokenWrite::Suspend,
                    crate::tokens::TokenState::Active => return None,
                };
                Some((
                    token.digital_card_id.clone(),
                    write,
                    token.token_requestor_id.clone(),
                    token.updated_at.clone(),
                ))
            })
            .collect();
        for (n, (digital_card_id, write, requestor, at)) in done.into_iter().enumerate() {
            let action = Action::Token {
                digital_card_id: digital_card_id.clone(),
                write,
                by: Party::TokenRequestor,
            };
            let operation = Operation {
                operation_id: format!("seed-{:08}", n + 1),
                operation: action.name(false),
                requestor_type: "TSP",
                requestor_id: Some(requestor),
                status: Status::Successful,
                start_time: at.clone(),
                end_time: Some(at),
                reason: None,
                reason_code: None,
                error_code: None,
                error: None,
                action,
            };
            self.token_operations
                .entry(digital_card_id)
                .or_default()
                .push(operation.operation_id.clone());
            self.operations
                .insert(operation.operation_id.clone(), operation);
        }
    }

    /// The time on the sandbox's clock.
    fn now(&self) -> String {
        (Utc::now() + self.clock_offset).to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// The bank's records.
    pub fn bank(&self) -> &BTreeMap<String, IssuerConsumer> {
        &self.bank
    }

    /// Whether `card_id` is a card of this world, in the bank's record or a directory's.
    pub fn knows_card(&self, card_id: &str) -> bool {
        self.card_owner.contains_key(card_id)
    }

    /// The bank's record of the consumer holding card `card_id`, found by its index.
    pub fn bank_holder_of_card(&self, card_id: &str) -> Option<&IssuerConsumer> {
        let owner = self.card_owner.get(card_id)?;
        self.bank
            .get(owner)
            .filter(|consumer| consumer.cards.iter().any(|c| c.card_id == card_id))
    }

    fn knows_consumer(&self, consumer_id: &str) -> bool {
        self.bank.contains_key(consumer_id)
            || self
                .directories
                .values()
                .any(|d| d.contains_key(consumer_id))
    }

    /// Each directory's profile of the consumer (directories without one are left out).
    pub fn profiles(&self, consumer_id: &str) -> Result<Vec<(Scheme, Profile)>, ApiError> {
        if !self.knows_consumer(consumer_id) {
            return Err(ApiError::not_found("consumer", consumer_id));
        }
        Ok(self
            .directories
            .iter()
            .filter_map(|(scheme, profiles)| {
                profiles.get(consumer_id).map(|p| (*scheme, p.clone()))
            })
            .collect())
    }

    /// Card `card_id`'s digital cards, oldest first (the deleted ones too).
    pub fn digital_cards(&self, card_id: &str) -> Result<Vec<DigitalCard>, ApiError> {
        self.owner(card_id)?;
        Ok(self
            .card_tokens
            .get(card_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.tokens.get(id).cloned())
            .collect())
    }

    /// One digital card.
    pub fn digital_card(&self, digital_card_id: &str) -> Result<DigitalCard, ApiError> {
        self.tokens
            .get(digital_card_id)
            .cloned()
            .ok_or_else(|| ApiError::not_found("digitalCard", digital_card_id))
    }

    /// Deletes the Click to Pay token `digital_card_id` (its card left Click to Pay), by the
    /// issuer; nothing when it is gone already.
    fn delete_click_to_pay_token(&mut self, digital_card_id: &str) {
        let now = self.now();
        if let Some(token) = self.tokens.get_mut(digital_card_id) {
            let _ = token.apply(TokenWrite::Delete, Party::Issuer, &now);
        }
    }

    /// A new, active Click to Pay token for `card` just enrolled (a deleted token's id is never
    /// used again): its digitalCardId.
    fn new_click_to_pay_token(&mut self, card: &crate::model::IssuerCard) -> String {
        let base = format!("dc-{}", card.card_id.trim_start_matches("crd-"));
        let id = (0..)
            .map(|n| match n {
                0 => base.clone(),
                n => format!("{base}-c{n}"),
            })
            .find(|id| !self.tokens.contains_key(id))
            .expect("a free id");
        let now = self.now();
        let token = crate::tokens::click_to_pay_token(card, &id, &now);
        self.card_tokens
            .entry(card.card_id.clone())
            .or_default()
            .push(id.clone());
        self.tokens.insert(id.clone(), token);
        id
    }

    fn owner(&self, card_id: &str) -> Result<&str, ApiError> {
        self.card_owner
            .get(card_id)
            .map(String::as_str)
            .ok_or_else(|| ApiError::not_found("card", card_id))
    }

    fn is_enrolled(&self, owner: &str, card_id: &str) -> bool {
        card_scheme_in(&self.directories, owner, card_id).is_some()
    }

    fn has_profile(&self, consumer_id: &str) -> bool {
        self.directories
            .values()
            .any(|d| d.contains_key(consumer_id))
    }

    /// Checks a write against the current state and records it as PENDING.
    pub fn start(
        &mut self,
        action: Action,
        reason: Option<String>,
        reason_code: String,
    ) -> Result<Operation, ApiError> {
        match &action {
            Action::Enrol { card_id, .. } => {
                self.owner(card_id)?;
            }
            Action::UpdateCard { card_id, .. } | Action::OptOutCard { card_id } => {
                let owner = self.owner(card_id)?;
                if !self.is_enrolled(owner, card_id) {
                    return Err(ApiError::forbidden(format!(
                        "card {card_id} is not enrolled in Click to Pay"
                    )));
                }
            }
            Action::UpdateConsumer { consumer_id, .. } | Action::OptOutConsumer { consumer_id } => {
                if !self.knows_consumer(consumer_id) {
                    return Err(ApiError::not_found("consumer", consumer_id));
                }
                if !self.has_profile(consumer_id) {
                    return Err(ApiError::forbidden(format!(
                        "consumer {consumer_id} has no Click to Pay profile"
                    )));
                }
            }
            Action::DeleteCard { card_id } => {
                self.owner(card_id)?;
            }
            Action::Token {
                digital_card_id,
                write,
                ..
            } => {
                let token = self.digital_card(digital_card_id)?;
                if token.state == crate::tokens::TokenState::Deleted {
                    return Err(ApiError::forbidden(format!(
                        "digital card {digital_card_id} is deleted"
                    )));
                }
                if *write == TokenWrite::Resume && !token.suspended_by.contains(&Party::Issuer) {
                    return Err(ApiError::forbidden(format!(
                        "digital card {digital_card_id} is not suspended by the issuer: only its suspender may resume it"
                    )));
                }
            }
        }
        let operation = self.new_operation(action, "ISSUER", None);
        let operation = Operation {
            reason,
            reason_code: Some(reason_code),
            ..operation
        };
        self.record(operation.clone());
        Ok(operation)
    }

    /// A new PENDING operation of `action` by `requestor_type` (`requestor_id`), not yet
    /// recorded.
    fn new_operation(
        &mut self,
        action: Action,
        requestor_type: &'static str,
        requestor_id: Option<String>,
    ) -> Operation {
        let operation = Operation {
            operation_id: format!("{}-{:08}", self.operation_prefix, self.next_operation),
            operation: action.name(self.v1_operation_names),
            requestor_type,
            requestor_id,
            status: Status::Pending,
            start_time: self.now(),
            end_time: None,
            reason: None,
            reason_code: None,
            error_code: None,
            error: None,
            action,
        };
        self.next_operation += 1;
        operation
    }

    /// Records `operation` in the list of what it is about.
    fn record(&mut self, operation: Operation) {
        let action = &operation.action;
        let index = match (
            action.card_id(),
            action.consumer_id(),
            action.digital_card_id(),
        ) {
            (Some(card), _, _) => self.card_operations.entry(card.to_owned()).or_default(),
            (None, Some(consumer), _) => self
                .consumer_operations
                .entry(consumer.to_owned())
                .or_default(),
            (None, None, Some(token)) => self.token_operations.entry(token.to_owned()).or_default(),
            (None, None, None) => {
                unreachable!("every action names a card, a consumer or a digital card")
            }
        };
        index.push(operation.operation_id.clone());
        self.operations
            .insert(operation.operation_id.clone(), operation);
    }

    /// Applies a PENDING operation and records its outcome; returns it as it now stands.
    pub fn finish(&mut self, operation_id: &str) -> Option<Operation> {
        let action = self
            .operations
            .get(operation_id)
            .filter(|o| o.status == Status::Pending)?
            .action
            .clone();
        let outcome = self.apply(&action);
        let now = self.now();
        let operation = self.operations.get_mut(operation_id)?;
        operation.settle(outcome, now);
        Some(operation.clone())
    }

    fn apply(&mut self, action: &Action) -> Result<(), (&'static str, String)> {
        match action {
            Action::Enrol {
                card_id,
                cardholder_name,
            } => {
                let owner = self.card_owner[card_id].clone();
                let consumer = self.bank.get(&owner).ok_or((
                    "CONSUMER_UNKNOWN",
                    format!("the issuer has no record of {owner}"),
                ))?;
                let card = consumer
                    .cards
                    .iter()
                    .find(|c| &c.card_id == card_id)
                    .expect("owner holds the card");
                let directory = self.directories.get_mut(&card.scheme).expect("directory");
                let profile = directory.entry(owner.clone()).or_insert_with(|| Profile {
                    consumer_info: consumer.consumer_info(),
                    cards: Vec::new(),
                });
                if card.status != AccountStatus::Open {
                    // As in D1, a failed enrolment can leave the consumer's profile without cards.
                    return Err((
                        "CARD_NOT_ELIGIBLE",
                        format!("card {card_id} is not an open account"),
                    ));
                }
                if profile.cards.iter().any(|c| &c.card_id == card_id) {
                    return Err((
                        "CARD_ALREADY_ENROLLED",
                        format!("card {card_id} is already enrolled"),
                    ));
                }
                let mut listed = card.directory_card();
                if card.scheme == Scheme::Visa && cardholder_name.is_some() {
                    listed.card_holder_name = cardholder_name.clone();
                }
                let card = card.clone();
                listed.digital_card_id = self.new_click_to_pay_token(&card);
                self.directories
                    .get_mut(&card.scheme)
                    .and_then(|d| d.get_mut(&owner))
                    .expect("the profile just made")
                    .cards
                    .push(listed);
                Ok(())
            }
            Action::UpdateCard {
                card_id,
                billing_address,
                card_holder_name,
            } => {
                let owner = self.card_owner[card_id].clone();
                let scheme = card_scheme_in(&self.directories, &owner, card_id)
                    .ok_or_else(|| not_enrolled(card_id))?;
                let bank_card = self
                    .bank
                    .get(&owner)
                    .and_then(|c| c.cards.iter().find(|k| &k.card_id == card_id))
                    .cloned();
                let profile = self
                    .directories
                    .get_mut(&scheme)
                    .and_then(|d| d.get_mut(&owner))
                    .expect("enrolled");
                let card = profile
                    .cards
                    .iter_mut()
                    .find(|c| &c.card_id == card_id)
                    .expect("enrolled");
                let address = billing_address
                    .clone()
                    .or(bank_card.as_ref().map(|c| c.billing_address.clone()));
                card.billing_address = address.or(card.billing_address.take());
                if scheme == Scheme::Visa {
                    let name = card_holder_name
                        .clone()
                        .or(bank_card.map(|c| c.cardholder_name));
                    card.card_holder_name = name.or(card.card_holder_name.take());
                }
                Ok(())
            }
            Action::UpdateConsumer { consumer_id, info } => {
                let mut applied = false;
                for (scheme, profiles) in &mut self.directories {
                    if let Some(profile) = profiles.get_mut(consumer_id) {
                        profile.consumer_info = info.clone();
                        if *scheme == Scheme::Mastercard {
                            profile.consumer_info.middle_name = None;
                        }
                        applied = true;
                    }
                }
                applied.then_some(()).ok_or((
                    "CONSUMER_NOT_ENROLLED",
                    format!("consumer {consumer_id} has no profile"),
                ))
            }
            Action::OptOutCard { card_id } => self.leave_click_to_pay(card_id),
            Action::DeleteCard { card_id } => {
                // Its tokens went first, each by an operation of its own.
                let _ = self.leave_click_to_pay(card_id);
                Ok(())
            }
            Action::OptOutConsumer { consumer_id } => {
                let removed: Vec<Profile> = self
                    .directories
                    .values_mut()
                    .filter_map(|d| d.remove(consumer_id))
                    .collect();
                // Leaving Click to Pay deletes the cards' Click to Pay tokens.
                for card in removed.iter().flat_map(|p| &p.cards) {
                    self.delete_click_to_pay_token(&card.digital_card_id);
                }
                (!removed.is_empty()).then_some(()).ok_or((
                    "CONSUMER_NOT_ENROLLED",
                    format!("consumer {consumer_id} has no profile"),
                ))
            }
            Action::Token {
                digital_card_id,
                write,
                by,
            } => {
                let now = self.now();
                let token = self.tokens.get_mut(digital_card_id).ok_or((
                    "DIGITAL_CARD_UNKNOWN",
                    format!("no digital card {digital_card_id}"),
                ))?;
                token
                    .apply(*write, *by, &now)
                    .map_err(|refusal| match refusal {
                        crate::tokens::Refusal::Deleted => (
                            "DIGITAL_CARD_DELETED",
                            format!("digital card {digital_card_id} was deleted"),
                        ),
                        crate::tokens::Refusal::NotSuspendedBy(_) => (
                            "NOT_SUSPENDED_BY_ISSUER",
                            format!(
                                "digital card {digital_card_id} is not suspended by the issuer"
                            ),
                        ),
                    })
            }
        }
    }

    /// Removes card `card_id` from its directory (and its consumer, if it was their last card
    /// there), and deletes its Click to Pay token.
    fn leave_click_to_pay(&mut self, card_id: &str) -> Result<(), (&'static str, String)> {
        let owner = self.card_owner[card_id].clone();
        let scheme = card_scheme_in(&self.directories, &owner, card_id)
            .ok_or_else(|| not_enrolled(card_id))?;
        let directory = self.directories.get_mut(&scheme).expect("directory");
        let profile = directory.get_mut(&owner).expect("enrolled");
        let removed: Vec<String> = profile
            .cards
            .iter()
            .filter(|c| c.card_id == card_id)
            .map(|c| c.digital_card_id.clone())
            .collect();
        profile.cards.retain(|c| c.card_id != card_id);
        if profile.cards.is_empty() {
            // The last-card rule: no cardholder is left in a directory without a card.
            directory.remove(&owner);
        }
        // Leaving Click to Pay deletes the card's Click to Pay token.
        for digital_card_id in &removed {
            self.delete_click_to_pay_token(digital_card_id);
        }
        Ok(())
    }

    /// A card's operations, newest first: `count` of them after skipping `offset`, and how many
    /// remain after those.
    pub fn card_operations(
        &self,
        card_id: &str,
        offset: usize,
        count: usize,
    ) -> Result<(Vec<Operation>, usize), ApiError> {
        self.owner(card_id)?;
        Ok(self.page(self.card_operations.get(card_id), offset, count))
    }

    /// A consumer's operations (consumer-level ones), newest first.
    pub fn consumer_operations(
        &self,
        consumer_id: &str,
        offset: usize,
        count: usize,
    ) -> Result<(Vec<Operation>, usize), ApiError> {
        if !self.knows_consumer(consumer_id) {
            return Err(ApiError::not_found("consumer", consumer_id));
        }
        Ok(self.page(self.consumer_operations.get(consumer_id), offset, count))
    }

    /// A digital card's operations, newest first.
    pub fn digital_card_operations(
        &self,
        digital_card_id: &str,
        offset: usize,
        count: usize,
    ) -> Result<(Vec<Operation>, usize), ApiError> {
        self.digital_card(digital_card_id)?;
        Ok(self.page(self.token_operations.get(digital_card_id), offset, count))
    }

    /// One of a consumer's operations.
    pub fn consumer_operation(
        &self,
        consumer_id: &str,
        operation_id: &str,
    ) -> Result<Operation, ApiError> {
        self.consumer_operations
            .get(consumer_id)
            .filter(|ids| ids.iter().any(|id| id == operation_id))
            .and_then(|_| self.operations.get(operation_id).cloned())
            .ok_or_else(|| ApiError::not_found("operation", operation_id))
    }

    fn page(
        &self,
        ids: Option<&Vec<String>>,
        offset: usize,
        count: usize,
    ) -> (Vec<Operation>, usize) {
        let ids = ids.map(Vec::as_slice).unwrap_or_default();
        let newest_first: Vec<&String> = ids.iter().rev().collect();
        let page: Vec<Operation> = newest_first
            .iter()
            .skip(offset)
            .take(count)
            .map(|id| self.operations[*id].clone())
            .collect();
        let remaining = newest_first.len().saturating_sub(offset + page.len());
        (page, remaining)
    }
}
