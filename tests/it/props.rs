//! Property: any persona logs in and comes back from userinfo as its normalised identity.

use proptest::prelude::*;
use serde_json::json;

use crate::helpers::*;

const PLACES: [&str; 6] = ["75107", "2A004", "2B033", "97411", "13055", "98611"];
const COUNTRIES: [&str; 4] = ["99352", "99350", "99139", "99131"];
const GIVEN: [&str; 8] = [
    "Élodie",
    "Jean-Marc",
    "Zoé",
    "Anaïs",
    "Loïc",
    "Bénédicte",
    "Œdipe",
    "Maëlle",
];
const FAMILY: [&str; 6] = ["d'Arcy", "Le Goff", "Müller-Dupré", "Nguyễn", "Ça", "Ollivier"];

#[derive(Debug, Clone)]
struct GenPersona {
    given: Vec<&'static str>,
    family: &'static str,
    gender: &'static str,
    birthdate: String,
    place: &'static str,
    country: &'static str,
}

fn persona() -> impl Strategy<Value = GenPersona> {
    (
        prop::collection::vec(prop::sample::select(&GIVEN[..]), 1..4),
        prop::sample::select(&FAMILY[..]),
        prop::sample::select(&["female", "male", "unspecified"][..]),
        1920i32..2025,
        0u32..13,
        0u32..29,
        any::<bool>(),
        prop::sample::select(&PLACES[..]),
        prop::sample::select(&COUNTRIES[..]),
    )
        .prop_map(|(given, family, gender, y, m, d, france, place, country)| {
            let (m, d) = if m == 0 { (0, 0) } else { (m, d) };
            GenPersona {
                given,
                family,
                gender,
                birthdate: format!("{y:04}-{m:02}-{d:02}"),
                place: if france { place } else { "" },
                country: if france { "99100" } else { country },
            }
        })
}

fn yaml(p: &GenPersona) -> String {
    format!(
        "personas:\n  - id: generated\n    identity:\n      given_name: \"{}\"\n      family_name: \"{}\"\n      gender: {}\n      birthdate: \"{}\"\n      birthplace: \"{}\"\n      birthcountry: \"{}\"\n      email: \"x@example.fr\"\n    accounts: [ {{ idp: ameli, login: gen-login }} ]\n",
        p.given.join(" "),
        p.family,
        p.gender,
        p.birthdate,
        p.place,
        p.country
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_persona_round_trips_through_userinfo(p in persona()) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let app = TestApp::spawn_with(&[&yaml(&p)]).await;
            let rp = app.rp(PUBLIC_CLIENT, PUBLIC_SECRET).await;
            let r = full_login(&app, &rp, "generated", "ameli", &["identite_pivot", "idp_birthdate", "email"]).await;
            let (_, _, info) = rp.userinfo(&Rp::access_token(&r)).await;
            let completed = p.birthdate.replace("-00-00", "-01-01").replace("-00", "-01");
            let expected_given: Vec<&str> = p.given.clone();
            prop_assert_eq!(&info["given_name"], &json!(expected_given.join(" ")));
            prop_assert_eq!(&info["given_name_array"], &json!(expected_given));
            prop_assert_eq!(&info["family_name"], &json!(p.family.to_uppercase()));
            prop_assert_eq!(&info["gender"], &json!(p.gender));
            prop_assert_eq!(&info["birthdate"], &json!(completed));
            prop_assert_eq!(&info["idp_birthdate"], &json!(p.birthdate));
            prop_assert_eq!(&info["birthplace"], &json!(p.place));
            prop_assert_eq!(&info["birthcountry"], &json!(p.country));
            Ok(())
        })?;
    }
}
