//! French explanations of every parameter, claim and JWT header field the
//! platforms emit or receive: what it is, why it is there, and what the
//! service provider must check. The inspector shows them beside each
//! exchange; `tests/it/inspector.rs` checks that nothing the platforms send
//! lacks one (claims of the discovery documents, every parameter and claim
//! of a recorded login).
//!
//! Facts: `PROTOCOL.md` (FranceConnect's developer documentation and the
//! `core-fcp` sources), OpenID Connect Core 1.0.

use serde::Serialize;

/// One explanation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Explanation {
    /// What it is.
    pub what: &'static str,
    /// Why it is there.
    pub why: &'static str,
    /// What the service provider must check or do (empty: nothing).
    pub check: &'static str,
}

const fn e(what: &'static str, why: &'static str, check: &'static str) -> Explanation {
    Explanation { what, why, check }
}

/// Request and response parameters (query, form, JSON answers).
const PARAMS: &[(&str, Explanation)] = &[
    (
        "response_type",
        e(
            "Le type de réponse attendu : toujours « code » (flux code d'autorisation).",
            "FranceConnect ne sert que le flux code, où les jetons passent par le canal serveur.",
            "Envoyer exactement « code ».",
        ),
    ),
    (
        "client_id",
        e(
            "L'identifiant du fournisseur de service, attribué à son inscription.",
            "FranceConnect retrouve ainsi le service, ses URL de retour et ses droits.",
            "",
        ),
    ),
    (
        "redirect_uri",
        e(
            "L'URL de retour du fournisseur de service, où arrive le code.",
            "FranceConnect n'y renvoie que si elle est déclarée, à l'identique.",
            "Déclarer l'URL exacte ; la même au token endpoint.",
        ),
    ),
    (
        "scope",
        e(
            "Les données demandées, séparées par des espaces (openid, given_name, birthdate…).",
            "Le citoyen voit et accepte ce qui sera transmis.",
            "Toujours openid ; ne demander que le nécessaire.",
        ),
    ),
    (
        "state",
        e(
            "Une valeur aléatoire tirée par le fournisseur de service et renvoyée telle quelle.",
            "Elle lie le retour à la session du navigateur qui est parti (protection contre la falsification de requête, CSRF).",
            "Au retour, la comparer à celle gardée en session et refuser si elle diffère ou manque.",
        ),
    ),
    (
        "nonce",
        e(
            "Une valeur aléatoire que FranceConnect recopie dans l'id_token.",
            "Elle empêche de rejouer un id_token obtenu ailleurs.",
            "Comparer le nonce de l'id_token à celui envoyé ; au moins 22 caractères (32 recommandés).",
        ),
    ),
    (
        "acr_values",
        e(
            "Le niveau de garantie eIDAS demandé (eidas1 sur FranceConnect, eidas2 ou eidas3 sur FranceConnect+).",
            "Il détermine les fournisseurs d'identité proposés.",
            "Vérifier que l'acr de l'id_token est au moins le niveau demandé.",
        ),
    ),
    (
        "prompt",
        e(
            "Ce que le fournisseur d'identité doit montrer : « login » force une nouvelle authentification, « consent » le consentement.",
            "FranceConnect demande toujours prompt=login au fournisseur d'identité.",
            "",
        ),
    ),
    (
        "claims",
        e(
            "Une demande de revendications précises, en JSON, par exemple amr comme essentielle.",
            "C'est ainsi qu'un fournisseur de service autorisé obtient amr dans l'id_token.",
            "Vérifier la présence de ce qui a été demandé comme essentiel.",
        ),
    ),
    (
        "idp_hint",
        e(
            "Le fournisseur d'identité à proposer d'emblée, s'il est autorisé pour ce service.",
            "Il évite au citoyen de choisir sur le mur.",
            "",
        ),
    ),
    (
        "login_hint",
        e(
            "Un identifiant suggéré au fournisseur d'identité.",
            "Il préremplit la page de connexion.",
            "",
        ),
    ),
    (
        "ui_locales",
        e("Les langues préférées pour les pages.", "Affichage seulement.", ""),
    ),
    (
        "code",
        e(
            "Le code d'autorisation, à usage unique, valable 30 secondes.",
            "Le fournisseur de service l'échange côté serveur contre les jetons.",
            "L'échanger une seule fois, aussitôt, avec le même redirect_uri.",
        ),
    ),
    (
        "iss",
        e(
            "L'émetteur qui répond : l'URL de la plateforme FranceConnect.",
            "Il protège contre la confusion entre plateformes (RFC 9207).",
            "S'il est présent au retour, le comparer à l'émetteur découvert.",
        ),
    ),
    (
        "error",
        e(
            "Le code d'erreur OAuth renvoyé au lieu d'un code (access_denied, invalid_request, server_error…).",
            "Le citoyen a renoncé ou la demande ne pouvait aboutir.",
            "Afficher un message clair, sans erreur serveur, et proposer de réessayer.",
        ),
    ),
    (
        "error_description",
        e(
            "L'explication lisible de l'erreur.",
            "Aide au diagnostic.",
            "Ne pas l'afficher telle quelle au citoyen si elle est technique.",
        ),
    ),
    (
        "grant_type",
        e(
            "Le type d'échange au token endpoint : « authorization_code ».",
            "Seul l'échange d'un code est possible.",
            "",
        ),
    ),
    (
        "client_secret",
        e(
            "Le secret du fournisseur de service, envoyé dans le corps (client_secret_post).",
            "Il authentifie le fournisseur de service au token endpoint.",
            "Ne jamais l'exposer au navigateur ; le garder hors du code source.",
        ),
    ),
    (
        "access_token",
        e(
            "Le jeton d'accès, valable 60 secondes.",
            "Il donne accès au userinfo et aux fournisseurs de données.",
            "L'envoyer en en-tête Authorization: Bearer, jamais dans l'URL.",
        ),
    ),
    (
        "token_type",
        e(
            "Le type du jeton d'accès : « Bearer ».",
            "Indique comment le présenter.",
            "",
        ),
    ),
    (
        "expires_in",
        e(
            "La durée de vie du jeton d'accès, en secondes.",
            "Au-delà, le userinfo le refuse.",
            "Appeler le userinfo aussitôt après l'échange du code.",
        ),
    ),
    (
        "id_token",
        e(
            "Le jeton d'identité : un JWT signé par FranceConnect (ES256 ou RS256), chiffré en plus sur FranceConnect+.",
            "Il prouve l'authentification et porte le sub.",
            "Vérifier signature, iss, aud, exp, iat et nonce avant tout usage ; le garder pour la déconnexion.",
        ),
    ),
    (
        "refresh_token",
        e(
            "Un jeton de renouvellement : FranceConnect n'en délivre pas.",
            "La session FranceConnect ne se prolonge pas côté fournisseur de service.",
            "",
        ),
    ),
    (
        "id_token_hint",
        e(
            "L'id_token reçu à la connexion, renvoyé à la déconnexion.",
            "FranceConnect sait ainsi quelle session fermer.",
            "Le garder en session et l'envoyer à session/end.",
        ),
    ),
    (
        "post_logout_redirect_uri",
        e(
            "L'URL où revenir après la déconnexion, déclarée à l'inscription.",
            "FranceConnect n'y renvoie que si elle est déclarée, à l'identique.",
            "Déclarer l'URL exacte.",
        ),
    ),
    (
        "token",
        e(
            "Le jeton présenté à vérifier (checktoken) ou à révoquer.",
            "Un fournisseur de données vérifie ainsi le jeton d'accès que lui présente un fournisseur de service.",
            "",
        ),
    ),
    (
        "token_type_hint",
        e("Le type du jeton à révoquer.", "Aide le serveur à le trouver.", ""),
    ),
    (
        "interaction",
        e(
            "L'identifiant de l'étape de connexion en cours chez le fournisseur d'identité (bac à sable).",
            "Il relie le formulaire à la demande d'authentification.",
            "",
        ),
    ),
    (
        "login",
        e(
            "L'identifiant saisi chez le fournisseur d'identité (compte de test fictif).",
            "Authentifie la personne fictive.",
            "",
        ),
    ),
    (
        "password",
        e(
            "Le mot de passe saisi chez le fournisseur d'identité (jamais conservé par le journal).",
            "Authentifie la personne fictive.",
            "",
        ),
    ),
    (
        "csrfToken",
        e(
            "Le jeton anti-falsification des formulaires de FranceConnect.",
            "Un formulaire posté depuis un autre site est refusé.",
            "",
        ),
    ),
    (
        "providerUid",
        e(
            "Le fournisseur d'identité choisi sur le mur.",
            "FranceConnect y redirige le citoyen.",
            "",
        ),
    ),
    (
        "consent",
        e(
            "La case de consentement cochée par le citoyen.",
            "Certains services exigent un consentement explicite à la transmission des données.",
            "",
        ),
    ),
    (
        "q",
        e(
            "La recherche parmi les comptes de test d'une page de connexion (bac à sable).",
            "Retrouver une personne fictive parmi beaucoup.",
            "",
        ),
    ),
    (
        "page",
        e(
            "La page de résultats parmi les comptes de test (bac à sable).",
            "Pagination.",
            "",
        ),
    ),
    (
        "acr",
        e(
            "Le niveau choisi sur la page de connexion du fournisseur d'identité fictif (bac à sable).",
            "Simule le niveau qu'il délivre.",
            "",
        ),
    ),
];

/// Claims of id_tokens, userinfo answers and checktoken answers.
const CLAIMS: &[(&str, Explanation)] = &[
    (
        "iss",
        e(
            "L'émetteur du jeton : l'URL de la plateforme (ou du fournisseur d'identité, dans les jetons qu'il remet à FranceConnect).",
            "Savoir qui a signé.",
            "Comparer à l'émetteur découvert, à l'identique.",
        ),
    ),
    (
        "sub",
        e(
            "L'identifiant de la personne pour ce fournisseur de service : un condensat de l'identité pivot et du service (sub « par paire »).",
            "Le même citoyen a le même sub pour ce service, quel que soit le fournisseur d'identité, si l'identité pivot est la même.",
            "Rattacher le compte usager au sub ; attention : une identité qui diffère d'un fournisseur d'identité à l'autre donne un autre sub.",
        ),
    ),
    (
        "aud",
        e(
            "Le destinataire du jeton : le client_id du fournisseur de service.",
            "Un jeton émis pour un autre service ne doit pas être accepté.",
            "Vérifier que aud est exactement son client_id.",
        ),
    ),
    (
        "exp",
        e(
            "L'instant d'expiration (secondes depuis 1970).",
            "Un jeton périmé ne vaut plus.",
            "Refuser si exp est dépassé (tolérance de quelques secondes).",
        ),
    ),
    (
        "iat",
        e(
            "L'instant d'émission.",
            "Situe le jeton dans le temps.",
            "Refuser un iat dans le futur.",
        ),
    ),
    (
        "nonce",
        e(
            "La valeur aléatoire envoyée à l'authorize, recopiée.",
            "Lie l'id_token à la demande du fournisseur de service.",
            "Comparer au nonce gardé en session.",
        ),
    ),
    (
        "acr",
        e(
            "Le niveau de garantie eIDAS obtenu (eidas1, eidas2, eidas3).",
            "Dit la force de l'authentification.",
            "Vérifier qu'il atteint le niveau demandé.",
        ),
    ),
    (
        "amr",
        e(
            "Les méthodes d'authentification employées (pwd, mfa, fc…).",
            "Donné seulement si le service l'a demandé et y est autorisé.",
            "Vérifier sa présence s'il a été demandé comme essentiel.",
        ),
    ),
    (
        "auth_time",
        e(
            "L'instant de l'authentification du citoyen.",
            "Dit si la connexion est récente.",
            "",
        ),
    ),
    (
        "idp",
        e(
            "Le fournisseur d'identité (ancienne version FranceConnect v1 : toujours « FC »).",
            "Compatibilité.",
            "",
        ),
    ),
    (
        "idp_id",
        e(
            "L'identifiant du fournisseur d'identité utilisé.",
            "Savoir par où la personne s'est connectée.",
            "Ne pas s'en servir pour identifier la personne : c'est le rôle du sub.",
        ),
    ),
    (
        "idp_acr",
        e("Le niveau que le fournisseur d'identité a délivré.", "Diagnostic.", ""),
    ),
    (
        "given_name",
        e(
            "Les prénoms de naissance, séparés par des espaces (identité pivot).",
            "Identifier la personne.",
            "Ne pas couper les prénoms composés ; garder les accents.",
        ),
    ),
    (
        "given_name_array",
        e(
            "Les prénoms de naissance, un par case.",
            "Évite d'avoir à découper given_name.",
            "",
        ),
    ),
    (
        "family_name",
        e(
            "Le nom de naissance (identité pivot).",
            "Identifier la personne.",
            "Ne pas le confondre avec le nom d'usage (preferred_username).",
        ),
    ),
    (
        "preferred_username",
        e(
            "Le nom d'usage (par exemple nom d'épouse), s'il existe.",
            "Pour s'adresser à la personne.",
            "Ne pas l'utiliser pour rapprocher des comptes à la place du nom de naissance.",
        ),
    ),
    (
        "gender",
        e(
            "Le sexe à l'état civil : « male » ou « female » (identité pivot).",
            "Identifier la personne.",
            "",
        ),
    ),
    (
        "birthdate",
        e(
            "La date de naissance AAAA-MM-JJ ; mois ou jour à 00 si inconnus (date présumée) (identité pivot).",
            "Identifier la personne.",
            "Accepter les dates présumées (AAAA-00-00).",
        ),
    ),
    (
        "birthplace",
        e(
            "Le code INSEE (COG) de la commune de naissance, vide si né à l'étranger (identité pivot).",
            "Identifier la personne.",
            "C'est un code INSEE, pas un code postal.",
        ),
    ),
    (
        "birthcountry",
        e(
            "Le code INSEE (COG) du pays de naissance, 99100 pour la France (identité pivot).",
            "Identifier la personne.",
            "",
        ),
    ),
    (
        "email",
        e(
            "L'adresse électronique connue du fournisseur d'identité.",
            "Contacter la personne.",
            "Ne pas s'en servir comme identifiant : elle peut changer.",
        ),
    ),
    (
        "address",
        e(
            "L'adresse postale connue du fournisseur d'identité (objet formatted, street_address, postal_code, locality, country).",
            "Préremplir un formulaire.",
            "La faire confirmer par la personne.",
        ),
    ),
    (
        "phone_number",
        e(
            "Le numéro de téléphone connu du fournisseur d'identité.",
            "Contacter la personne.",
            "",
        ),
    ),
    (
        "idp_birthdate",
        e(
            "La date de naissance telle que le fournisseur d'identité la connaît, avant normalisation.",
            "Diagnostic des écarts d'état civil.",
            "",
        ),
    ),
    (
        "active",
        e(
            "Dans une réponse checktoken : si le jeton d'accès est encore valable.",
            "Le fournisseur de données ne sert que sur un jeton valable.",
            "Refuser si false.",
        ),
    ),
    (
        "scope",
        e(
            "Les scopes accordés au jeton (réponse checktoken).",
            "Le fournisseur de données ne sert que ce qui a été accordé.",
            "",
        ),
    ),
    (
        "token_introspection",
        e(
            "La réponse d'introspection du jeton (checktoken), signée puis chiffrée pour le fournisseur de données.",
            "Le fournisseur de données apprend ainsi qui est le citoyen et ce qu'il a accepté.",
            "Vérifier la signature de FranceConnect après déchiffrement.",
        ),
    ),
    (
        "client_id",
        e(
            "Le fournisseur de service à qui le jeton a été délivré.",
            "Le fournisseur de données sait à qui il répond.",
            "",
        ),
    ),
    ("jti", e("L'identifiant unique du jeton.", "Détecter un rejeu.", "")),
];

/// JWT (JWS and JWE) header fields.
const HEADERS: &[(&str, Explanation)] = &[
    (
        "alg",
        e(
            "L'algorithme de signature (ES256, RS256) ou de chiffrement de clé (ECDH-ES, RSA-OAEP…).",
            "Dit comment vérifier ou déchiffrer.",
            "N'accepter que les algorithmes attendus ; jamais « none ».",
        ),
    ),
    (
        "kid",
        e(
            "L'identifiant de la clé, à chercher dans le JWKS de l'émetteur.",
            "Permet la rotation des clés.",
            "Si le kid est inconnu, recharger le JWKS une fois, puis refuser.",
        ),
    ),
    ("typ", e("Le type du jeton.", "Informatif.", "")),
    (
        "enc",
        e(
            "L'algorithme de chiffrement du contenu (A256GCM).",
            "FranceConnect+ chiffre les jetons pour le fournisseur de service.",
            "",
        ),
    ),
    (
        "cty",
        e(
            "Le type du contenu chiffré : « JWT » (un JWS signé dans un JWE).",
            "Dit qu'il faut vérifier la signature après déchiffrement.",
            "",
        ),
    ),
    (
        "epk",
        e(
            "La clé publique éphémère de l'échange ECDH-ES.",
            "Sert au déchiffrement.",
            "",
        ),
    ),
];

fn find(table: &'static [(&'static str, Explanation)], name: &str) -> Option<&'static Explanation> {
    table.iter().find(|(n, _)| *n == name).map(|(_, e)| e)
}

/// A request or response parameter.
pub fn param(name: &str) -> Option<&'static Explanation> {
    find(PARAMS, name)
}

/// A claim; `rnipp_…` claims are the civil registry's version of the same.
pub fn claim(name: &str) -> Option<&'static Explanation> {
    find(CLAIMS, name).or_else(|| name.strip_prefix("rnipp_").and_then(|base| find(CLAIMS, base)))
}

/// A JWT header field.
pub fn header(name: &str) -> Option<&'static Explanation> {
    find(HEADERS, name)
}

/// One line for a page: what, why, and what to check.
pub fn line(e: &Explanation) -> String {
    if e.check.is_empty() {
        format!("{} {}", e.what, e.why)
    } else {
        format!("{} {} À vérifier : {}", e.what, e.why, e.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rnipp_claims_fall_back_to_the_pivot_claim() {
        assert!(claim("rnipp_given_name").is_some());
        assert!(claim("rnipp_nothing").is_none());
        assert!(param("nonce").is_some_and(|e| e.check.contains("22")));
    }
}
