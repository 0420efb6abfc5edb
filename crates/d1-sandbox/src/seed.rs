//! A deterministic population: the bank's consumers and the directories' profiles, with a fixed
//! share of deliberate differences between them. The same `seed` and `consumers` always give the
//! same data. Each consumer's id ends with its category (`cons-0013-email`), see [`Category`].

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::model::{
    AccountStatus, BillingAddress, IssuerCard, IssuerConsumer, Name, Profile, Scheme,
};

/// What a seeded consumer demonstrates. Of every 20 consumers, 11 are consistent and one falls
/// in each other category (5 % each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Directories hold exactly the bank's data (`-ok`).
    Consistent,
    /// The bank has a new e-mail address; the directories the old one (`-email`).
    EmailChanged,
    /// The bank has a new phone number; the directories the old one (`-phone`).
    PhoneChanged,
    /// The directories write the name differently: full-width, upper case or kana (`-name`).
    NameWritten,
    /// One card's billing address differs (`-address`).
    AddressDiffers,
    /// One card is CLOSED at the bank but still enrolled (`-closed`).
    ClosedEnrolled,
    /// A directory profile with no cards: a failed enrolment (`-nocards`).
    NoCards,
    /// Cards of both networks at the bank, a profile in one directory only (`-onenet`).
    OneNetwork,
    /// Not enrolled anywhere (`-none`).
    NotEnrolled,
    /// The directories hold hostile text: markup as the first name ([`HOSTILE_NAME`]) and, for
    /// the first such consumer only, a 5,000-character first line in one card's billing address
    /// (`-hostile`): one such line is enough to show, and one in every 20 consumers cost the
    /// embedded sandbox a third of a MiB.
    Hostile,
}

/// The first name the directories hold for a [`Category::Hostile`] consumer.
pub const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";
/// The length of the first [`Category::Hostile`] consumer's billing address line in the
/// directories.
pub const HOSTILE_LINE_CHARS: usize = 5000;

const CYCLE: [Category; 20] = {
    use Category::*;
    [
        Consistent,
        EmailChanged,
        Consistent,
        PhoneChanged,
        Consistent,
        NameWritten,
        Consistent,
        AddressDiffers,
        Consistent,
        ClosedEnrolled,
        Consistent,
        NoCards,
        Consistent,
        OneNetwork,
        Consistent,
        NotEnrolled,
        Consistent,
        Consistent,
        Consistent,
        Hostile,
    ]
};

impl Category {
    /// The category of the `index`-th consumer (0-based).
    pub fn of(index: usize) -> Category {
        CYCLE[index % CYCLE.len()]
    }

    /// The suffix of the consumer id.
    pub fn slug(self) -> &'static str {
        match self {
            Category::Consistent => "ok",
            Category::EmailChanged => "email",
            Category::PhoneChanged => "phone",
            Category::NameWritten => "name",
            Category::AddressDiffers => "address",
            Category::ClosedEnrolled => "closed",
            Category::NoCards => "nocards",
            Category::OneNetwork => "onenet",
            Category::NotEnrolled => "none",
            Category::Hostile => "hostile",
        }
    }
}

/// Consumers only a directory knows (unknown to the bank): one per 100 bank consumers, with ids
/// `cons-xNNN-unknown`.
pub const ORPHANS_PER_100: usize = 1;

/// The seeded population.
pub struct Population {
    /// The bank's records by consumer id.
    pub bank: BTreeMap<String, IssuerConsumer>,
    /// Each directory's profiles by consumer id.
    pub directories: BTreeMap<Scheme, BTreeMap<String, Profile>>,
}

struct JapaneseName {
    kanji: &'static str,
    kana: &'static str,
    latin: &'static str,
}

const fn jn(kanji: &'static str, kana: &'static str, latin: &'static str) -> JapaneseName {
    JapaneseName { kanji, kana, latin }
}

const JP_FAMILY: [JapaneseName; 12] = [
    jn("佐藤", "サトウ", "Sato"),
    jn("鈴木", "スズキ", "Suzuki"),
    jn("高橋", "タカハシ", "Takahashi"),
    jn("田中", "タナカ", "Tanaka"),
    jn("伊藤", "イトウ", "Ito"),
    jn("渡辺", "ワタナベ", "Watanabe"),
    jn("山本", "ヤマモト", "Yamamoto"),
    jn("中村", "ナカムラ", "Nakamura"),
    jn("小林", "コバヤシ", "Kobayashi"),
    jn("加藤", "カトウ", "Kato"),
    jn("吉田", "ヨシダ", "Yoshida"),
    jn("山田", "ヤマダ", "Yamada"),
];
const JP_GIVEN: [JapaneseName; 10] = [
    jn("花子", "ハナコ", "Hanako"),
    jn("太郎", "タロウ", "Taro"),
    jn("陽菜", "ヒナ", "Hina"),
    jn("蓮", "レン", "Ren"),
    jn("結衣", "ユイ", "Yui"),
    jn("大翔", "ヒロト", "Hiroto"),
    jn("美咲", "ミサキ", "Misaki"),
    jn("翔太", "ショウタ", "Shota"),
    jn("さくら", "サクラ", "Sakura"),
    jn("健", "ケン", "Ken"),
];
const LATIN_GIVEN: [&str; 10] = [
    "Emma", "Liam", "Olivia", "Noah", "Sophie", "James", "Chloe", "Lucas", "Mia", "Daniel",
];
const LATIN_FAMILY: [&str; 10] = [
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Wilson", "Moore", "Taylor", "Anderson",
    "Martin",
];
/// (street, city, prefecture code, postal code)
const JP_PLACES: [(&str, &str, &str, &str); 6] = [
    ("Chiyoda", "Chiyoda-ku", "13", "1000001"),
    ("Jingumae", "Shibuya-ku", "13", "1500001"),
    ("Umeda", "Osaka-shi Kita-ku", "27", "5300001"),
    ("Minatomirai", "Yokohama-shi", "14", "2200012"),
    ("Tenjin", "Fukuoka-shi", "40", "8100001"),
    ("Sakae", "Nagoya-shi", "23", "4600008"),
];
/// (street, city, state, postal code, country)
const WEST_PLACES: [(&str, &str, &str, &str, &str); 3] = [
    ("High Street", "London", "LND", "SW1A1AA", "GB"),
    ("Main Street", "Springfield", "IL", "62701", "US"),
    ("Market Street", "San Francisco", "CA", "94103", "US"),
];

/// Generates `consumers` bank consumers (and their directory profiles) from `seed`.
pub fn generate(seed: u64, consumers: usize) -> Population {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut population = Population {
        bank: BTreeMap::new(),
        directories: Scheme::ALL.iter().map(|s| (*s, BTreeMap::new())).collect(),
    };
    for index in 0..consumers {
        let category = Category::of(index);
        let consumer = consumer(&mut rng, index, category);
        enrol(&mut population, &consumer, category, &mut rng);
        population
            .bank
            .insert(consumer.consumer_id.clone(), consumer);
    }
    for orphan in 0..consumers * ORPHANS_PER_100 / 100 {
        let mut ghost = consumer(&mut rng, consumers + orphan, Category::Consistent);
        ghost.consumer_id = format!("cons-x{:03}-unknown", orphan + 1);
        let card = ghost.cards[0].clone();
        let mut info = ghost.consumer_info();
        info.email = info.email.replace('@', ".old@");
        population
            .directories
            .get_mut(&card.scheme)
            .expect("directory")
            .insert(
                ghost.consumer_id.clone(),
                Profile {
                    consumer_info: info,
                    cards: vec![card.directory_card()],
                },
            );
    }
    population
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn digits(rng: &mut StdRng, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn card_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let tail: String = (0..10).map(|_| char::from(*pick(rng, ALPHABET))).collect();
    format!("crd-{tail}")
}

fn consumer(rng: &mut StdRng, index: usize, category: Category) -> IssuerConsumer {
    let japanese = rng.random_bool(0.7);
    let number = index + 1;
    let consumer_id = format!("cons-{number:04}-{}", category.slug());
    let (name_latin, name_kanji, name_kana, phone_country_code, language) = if japanese {
        let (family, given) = (pick(rng, &JP_FAMILY), pick(rng, &JP_GIVEN));
        (
            Name {
                first: given.latin.into(),
                last: family.latin.into(),
            },
            Some(Name {
                first: given.kanji.into(),
                last: family.kanji.into(),
            }),
            Some(Name {
                first: given.kana.into(),
                last: family.kana.into(),
            }),
            "+81",
            "ja-JP",
        )
    } else {
        let name = Name {
            first: pick(rng, &LATIN_GIVEN).to_string(),
            last: pick(rng, &LATIN_FAMILY).to_string(),
        };
        (name, None, None, "+44", "en-GB")
    };
    let domain = if japanese {
        "example.jp"
    } else {
        "example.com"
    };
    let email = format!(
        "{}.{}{number}@{domain}",
        name_latin.first.to_lowercase(),
        name_latin.last.to_lowercase()
    );
    let phone_number = if japanese {
        format!("90{}", digits(rng, 8))
    } else {
        format!("7{}", digits(rng, 9))
    };
    let address = address(rng, japanese);
    let card_count = match category {
        Category::OneNetwork | Category::ClosedEnrolled => rng.random_range(2..=4),
        _ => rng.random_range(1..=4),
    };
    let cards: Vec<IssuerCard> = (0..card_count)
        .map(|n| {
            let scheme = match (category, n) {
                (Category::OneNetwork, 0) => Scheme::Visa,
                (Category::OneNetwork, 1) => Scheme::Mastercard,
                _ => *pick(rng, &Scheme::ALL),
            };
            let bin = match scheme {
                Scheme::Visa => format!("4{}", digits(rng, 5)),
                Scheme::Mastercard => format!("5{}{}", rng.random_range(1..=5), digits(rng, 4)),
            };
            IssuerCard {
                card_id: card_id(rng),
                scheme,
                bin,
                last4: digits(rng, 4),
                expiry: format!(
                    "{:02}{}",
                    rng.random_range(1..=12),
                    rng.random_range(27..=31)
                ),
                cardholder_name: format!("{} {}", name_latin.first, name_latin.last).to_uppercase(),
                billing_address: address.clone(),
                // The first card of a `-closed` consumer is closed at the bank, yet stays enrolled.
                status: if category == Category::ClosedEnrolled && n == 0 {
                    AccountStatus::Closed
                } else {
                    AccountStatus::Open
                },
            }
        })
        .collect();
    IssuerConsumer {
        consumer_id,
        name_latin,
        name_kanji,
        name_kana,
        email,
        phone_country_code: phone_country_code.into(),
        phone_number,
        language: language.into(),
        cards,
    }
}

fn address(rng: &mut StdRng, japanese: bool) -> BillingAddress {
    let house = format!(
        "{}-{}-{}",
        rng.random_range(1..=9),
        rng.random_range(1..=30),
        rng.random_range(1..=20)
    );
    if japanese {
        let (street, city, state, zip) = *pick(rng, &JP_PLACES);
        BillingAddress {
            line1: format!("{house} {street}"),
            line2: None,
            line3: None,
            city: city.into(),
            state: state.into(),
            zip_code: zip.into(),
            country_code: "JP".into(),
        }
    } else {
        let (street, city, state, zip, country) = *pick(rng, &WEST_PLACES);
        BillingAddress {
            line1: format!("{} {street}", rng.random_range(1..=200)),
            line2: None,
            line3: None,
            city: city.into(),
            state: state.into(),
            zip_code: zip.into(),
            country_code: country.into(),
        }
    }
}

/// Full-width form of ASCII letters and digits (`Sato` → `Ｓａｔｏ`).
fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Puts the bank's consumer into the directories the way `category` says.
fn enrol(
    population: &mut Population,
    consumer: &IssuerConsumer,
    category: Category,
    rng: &mut StdRng,
) {
    let index = population.bank.len();
    let mut info = consumer.consumer_info();
    match category {
        Category::EmailChanged => info.email = format!("old.{}", info.email),
        // Another number of the same kind (each digit after the first two moved on by one), so
        // that it stays a valid number in its country.
        Category::PhoneChanged => {
            let (kind, rest) = info.phone_number.split_at(2);
            let moved: String = rest
                .chars()
                .map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10))
                .collect();
            info.phone_number = format!("{kind}{moved}");
        }
        Category::Hostile => info.first_name = HOSTILE_NAME.to_owned(),
        Category::NameWritten => match (index % 3, &consumer.name_kana) {
            (0, Some(kana)) => {
                (info.first_name, info.last_name) = (kana.first.clone(), kana.last.clone())
            }
            (1, _) => {
                (info.first_name, info.last_name) =
                    (full_width(&info.first_name), full_width(&info.last_name))
            }
            _ => {
                (info.first_name, info.last_name) = (
                    info.first_name.to_uppercase(),
                    info.last_name.to_uppercase(),
                )
            }
        },
        _ => {}
    }
    let mut profiles: BTreeMap<Scheme, Profile> = BTreeMap::new();
    let only = (category == Category::OneNetwork).then(|| *pick(rng, &Scheme::ALL));
    for (n, card) in consumer.cards.iter().enumerate() {
        let skip = category == Category::NotEnrolled || only.is_some_and(|s| s != card.scheme);
        if skip {
            continue;
        }
        let profile = profiles.entry(card.scheme).or_insert_with(|| Profile {
            consumer_info: info.clone(),
            cards: Vec::new(),
        });
        if category == Category::NoCards {
            continue;
        }
        let mut listed = card.directory_card();
        if n == 0
            && let Some(address) = listed.billing_address.as_mut()
        {
            match category {
                Category::AddressDiffers => address.line1 = format!("{} Annex", address.line1),
                Category::Hostile if index < CYCLE.len() => {
                    address.line1 = "長".repeat(HOSTILE_LINE_CHARS)
                }
                _ => {}
            }
        }
        profile.cards.push(listed);
    }
    for (scheme, profile) in profiles {
        population
            .directories
            .get_mut(&scheme)
            .expect("directory")
            .insert(consumer.consumer_id.clone(), profile);
    }
}
