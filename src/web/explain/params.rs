//! The explanations of request and response parameters.

use super::{Explanation, e};

/// Request and response parameters (query, form, JSON answers).
pub(super) const PARAMS: &[(&str, Explanation)] = &[
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
