//! The same names, where FranceConnect is itself the client: between the
//! hub and an identity provider (its authorize, login, token and userinfo,
//! and the callback back to FranceConnect). Only what differs is here;
//! other names keep their general explanation.

use super::{Explanation, e};

/// Parameters on the hub ↔ identity provider hop.
pub(super) const HUB_PARAMS: &[(&str, Explanation)] = &[
    (
        "client_id",
        e(
            "L'identifiant de FranceConnect chez ce fournisseur d'identité : ici, FranceConnect est le client.",
            "Le fournisseur d'identité reconnaît ainsi FranceConnect.",
            "",
        ),
    ),
    (
        "redirect_uri",
        e(
            "L'adresse de retour de FranceConnect (oidc-callback), déclarée chez le fournisseur d'identité.",
            "Le fournisseur d'identité n'y renvoie que si elle est déclarée.",
            "",
        ),
    ),
    (
        "state",
        e(
            "La valeur aléatoire de FranceConnect pour cet aller-retour avec le fournisseur d'identité.",
            "FranceConnect la compare au retour (Y020022 si elle diffère, Y020021 si elle manque).",
            "",
        ),
    ),
    (
        "nonce",
        e(
            "La valeur aléatoire de FranceConnect, recopiée dans l'id_token du fournisseur d'identité.",
            "FranceConnect vérifie ainsi que l'id_token répond à sa demande.",
            "",
        ),
    ),
    (
        "scope",
        e(
            "Ce que FranceConnect demande au fournisseur d'identité : l'identité pivot (profile, email, birth…).",
            "FranceConnect en tire l'identité pivot qu'il normalise.",
            "",
        ),
    ),
    (
        "acr_values",
        e(
            "Le niveau eIDAS que FranceConnect demande au fournisseur d'identité.",
            "FranceConnect refuse un fournisseur qui délivre un niveau qu'il n'a pas le droit de délivrer (Y100018).",
            "",
        ),
    ),
    (
        "code",
        e(
            "Le code que le fournisseur d'identité remet à FranceConnect, à usage unique.",
            "FranceConnect l'échange contre les jetons du fournisseur d'identité, de serveur à serveur.",
            "",
        ),
    ),
    (
        "client_secret",
        e(
            "Le secret de FranceConnect chez ce fournisseur d'identité.",
            "Il authentifie FranceConnect au token endpoint du fournisseur d'identité.",
            "",
        ),
    ),
    (
        "id_token_hint",
        e(
            "L'id_token que le fournisseur d'identité avait remis à FranceConnect.",
            "Le fournisseur d'identité sait ainsi quelle session fermer.",
            "",
        ),
    ),
    (
        "post_logout_redirect_uri",
        e(
            "L'adresse où le fournisseur d'identité renvoie FranceConnect après la déconnexion.",
            "La déconnexion revient ensuite au service.",
            "",
        ),
    ),
];

/// Claims of the identity provider's own tokens, given to FranceConnect.
pub(super) const HUB_CLAIMS: &[(&str, Explanation)] = &[
    (
        "aud",
        e(
            "Le destinataire : l'identifiant de FranceConnect chez ce fournisseur d'identité.",
            "Le jeton est pour FranceConnect, pas pour le service.",
            "",
        ),
    ),
    (
        "sub",
        e(
            "L'identifiant de la personne chez ce fournisseur d'identité.",
            "Il ne sort jamais vers les services : FranceConnect leur donne son propre sub, calculé sur l'identité pivot.",
            "",
        ),
    ),
    (
        "iss",
        e(
            "L'émetteur : le fournisseur d'identité.",
            "FranceConnect vérifie la signature avec les clés publiées par ce fournisseur.",
            "",
        ),
    ),
    (
        "nonce",
        e(
            "Le nonce de FranceConnect, recopié par le fournisseur d'identité.",
            "FranceConnect le compare à celui qu'il a envoyé.",
            "",
        ),
    ),
];
