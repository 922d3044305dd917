//! The explanations of claims and of JWT header fields.

use super::{Explanation, e};

/// Claims of id_tokens, userinfo answers and checktoken answers.
pub(super) const CLAIMS: &[(&str, Explanation)] = &[
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
pub(super) const HEADERS: &[(&str, Explanation)] = &[
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
