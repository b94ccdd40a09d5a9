"""French: what screening looks for, and what it says about it.

Fragments follow the rules in ``en``. French idioms that borrow a trigger word are exceptions:
"mettre l'accent sur" (to stress), "à l'étranger" (abroad), "je vous prie" (please),
"chargement paresseux" (lazy loading). Tree vocabulary ("nœud fils", "ses enfants") is why
children are matched only in family phrases. The English lists apply as well.
"""

from __future__ import annotations

_NAT = (
    r"(?:français|française|allemand|allemande|anglais|anglaise|américain|américaine|indien|"
    r"indienne|chinois|chinoise|japonais|japonaise|russe|polonais|polonaise|roumain|roumaine|"
    r"arabe|africain|africaine|maghrébin|maghrébine|marocain|marocaine|algérien|algérienne|"
    r"tunisien|tunisienne|turc|turque|italien|italienne|espagnol|espagnole|portugais|"
    r"portugaise|asiatique|libanais|libanaise|syrien|syrienne|sénégalais|sénégalaise|ivoirien|"
    r"ivoirienne|camerounais|camerounaise|malien|malienne|vietnamien|vietnamienne|ukrainien|"
    r"ukrainienne|brésilien|brésilienne|mexicain|mexicaine|belge|suisse|québécois|québécoise|"
    r"européen|européenne)"
)
_PERSON = (
    r"(?:homme|femme|mec|gars|fille|garçon|personne|candidat|candidate|collègue|type|nana|meuf|"
    r"dame|monsieur)"
)
_TECH_THING = (
    r"(?:version|bibliothèque|librairie|release|paquet|dépendance|api|navigateur|noyau|runtime|"
    r"framework|compilateur|donnée|données|cache|entrée|entrées|snapshot|build|image|doc|"
    r"documentation|code|approche|technique|exemple|jeton|certificat|clé|index|branche|commit|"
    r"sauvegarde|modèle|matériel|serveur|pilote|firmware|norme|node|python|java|jdk|sdk|"
    r"système)"
)

PATTERNS: dict[str, tuple[str, ...]] = {
    "age": (
        r"trop (?:vieux|vieille|vieilles|âgé|âgée|âgés|âgées|jeune|jeunes)",
        r"(?:il|elle) (?:est|était|semble|semblait|paraît|paraissait|a l'air|avait l'air) "
        r"(?:trop |très |assez |un peu |plutôt |encore |déjà |bien |)(?:vieux|vieille|âgé|âgée|"
        r"jeune)",
        r"(?:équipe|boîte|startup|structure) (?:très |plutôt |assez |)jeune",
        r"jeune (?:équipe|boîte|et dynamique)",
        r"jeunes? (?:homme|hommes|femme|femmes|fille|filles|garçon|mec|gars)",
        r"(?:digital|digitaux) natives?|nati(?:f|ve|fs|ves) du numérique",
        r"(?:à|pour|vu|étant donné|compte tenu de|avec) son âge|son âge",
        r"surqualifiée? pour son âge",
        r"(?:proche|près) de la retraite|en fin de carrière|âge de la retraite",
        r"(?:a|âgée? de) \d{2} ans(?! d)",
        r"(?:la|sa) (?:trentaine|quarantaine|cinquantaine|soixantaine)(?! d)",
        r"quinquagénaire|quadragénaire|sexagénaire|trentenaire|quadra|quinqua",
        r"jeunot|petit jeune|vieux croûton",
        r"boomers?|génération z",
    ),
    "sex_or_gender": (
        r"en tant que (?:femme|homme|fille)",
        r"pour une (?:femme|fille|nana)|pour un homme",
        r"comme une (?:fille|femme|nana|gamine)",
        r"nanas?|meufs?|gamine",
        r"(?:la|cette|une|petite|jeune) fille",
        r"typiquement (?:féminin|féminine|masculin|masculine|une femme|un homme|femme|homme)",
        r"féminine?s?|masculine?s?|hystérique",
        r"(?:son|leur) sexe|(?:du|de) sexe (?:féminin|masculin)",
        r"(?:jolie|belle|mignonne) (?:fille|femme|nana|blonde)",
        r"instinct maternel|très maternelle",
        r"transgenre|non-binaire",
    ),
    "pregnancy_or_family": (
        r"enceinte|grossesse",
        r"congés? (?:de |)(?:maternité|paternité|parental)",
        r"maternité|paternité",
        r"avoir des enfants|(?:projet|désir|envie) d'enfants?|fonder une famille",
        r"garde (?:d'|des |de ses )enfants|crèche|nounou",
        r"(?:obligations|contraintes|charges|responsabilités) familiales",
        r"(?:a|avec) (?:des |de )(?:jeunes|petits) enfants",
        r"ses (?:jeunes|petits) enfants",
        r"(?:un|son|sa|leur|le) bébé",
        r"(?:mère|père|maman|papa) de (?:deux|trois|quatre|\d|jeunes)",
        r"(?:jeune|future|nouvelle) (?:mère|maman)|(?:jeune|futur|nouveau) (?:père|papa)",
        r"(?:en tant que|comme) (?:mère|père|maman|papa|parent)",
        r"sa famille",
    ),
    "marital_status": (
        r"(?:est|était|sont|pas|non|jeune|bien|récemment|tout juste|fraîchement) mariée?s?",
        r"mariée?s? (?:avec|depuis)",
        r"célibataire",
        r"divorcée?s?|divorce",
        r"(?:son|leur) (?:mari|époux|conjoint|compagnon|fiancé|copain|petit ami)",
        r"(?:sa|leur) (?:femme|épouse|conjointe|compagne|fiancée|copine|petite amie)",
        r"veuve?|veuf",
        r"(?:mère|père|maman|papa) (?:célibataire|solo|seule?)",
        r"situation (?:familiale|matrimoniale)",
        r"pacsée?s?|fiancée?s?",
    ),
    "race_or_ethnicity": (
        r"(?:sa|leur) race|(?:de|d'une) race (?:noire|blanche|arabe|différente)",
        r"racial(?:e|es|ement)?|raciaux",
        r"ethniques?|ethnies?",
        r"couleur de (?:sa |)peau",
        rf"{_PERSON} (?:noire?|black|arabe|asiatique|blanche?|beur|rebeu|renoi|métisse?)",
        r"basanée?s?|métisse?s?",
        r"beurs?|rebeus?|renois?|bougnoules?",
        r"gitane?s?|romanichels?",
    ),
    "national_origin": (
        r"accent(?! (?:aigu|grave|circonflexe|tonique))",
        r"(?:un|une|les|des|est|était) étrangère?s?",
        r"(?:d'origine|nom|nom de famille|accent|origine) étrangère?",
        r"immigrée?s?|immigrante?s?|immigration|sans-papiers|réfugiée?s?",
        r"(?:locuteur|locutrice) (?:natif|native)|(?:pas|non) (?:natif|native)",
        r"langue maternelle",
        r"d'où (?:il|elle) (?:vient|est|sort)",
        r"ses origines",
        r"origine (?:ethnique|étrangère|maghrébine|africaine|asiatique|arabe|immigrée)",
        r"pays d'origine|nationalité",
        rf"typiquement {_NAT}",
        rf"(?:il|elle) est {_NAT}",
        rf"(?:mentalité|tempérament) {_NAT}",
        r"(?:nom|prénom) (?:arabe|africain|maghrébin|étranger|à consonance étrangère)",
        rf"pour une? {_NAT}(?! (?:entreprise|société|client|marché|équipe|site|utilisateur|"
        r"public|clavier|courant|impeccable|correct))",
        r"de souche",
    ),
    "religion": (
        r"religieu(?:x|se|ses)|religions?",
        r"(?:porte|portait|avec) (?:le|un|son) (?:voile|foulard)|voilée?s?",
        r"foulard islamique|hijab|burqa|burka|niqab|kippa|turban",
        r"églises?|mosquées?|synagogues?",
        r"(?:il|elle|ils|elles) prient?",
        r"(?:la |ses |leurs |)prières?(?! de)",
        r"temps de prière|salle de prière",
        r"ramadan|shabbat|sabbat|halal|carême",
        r"musulmane?s?|chrétienne?s?|chrétiens?|juive?s?|juifs?|catholiques?|protestante?s?",
        r"hindoue?s?|bouddhistes?|athées?|croyante?s?|évangéliques?|témoin de jéhovah",
    ),
    "disability_or_health": (
        r"handicapée?s?|en situation de handicap|(?:son|leur|un) handicap(?! pour)",
        r"rqth|fauteuil roulant",
        r"autistes?|autisme|asperger|tdah",
        r"dyslexique|dyslexie|dyspraxique|dyspraxie",
        r"dépression|dépressi(?:f|ve)|déprimée?",
        r"burn-?out|santé mentale",
        r"troubles? (?:psychiques?|mentaux|anxieux|bipolaires?|autistiques?|de l'attention|dys)",
        r"bipolaire|schizophrène|schizophrénie",
        r"(?:arrêts?|congés?) maladie",
        r"(?:problèmes?|soucis) de santé|(?:sa|leur) santé|état de santé",
        r"maladies?(?! (?:infantiles?|de jeunesse))",
        r"(?:est|était|semblait|avait l'air|a l'air|tombée?) malade",
        r"bégaie|bégaye|bègue|bégaiement|bégayait",
        r"(?:est|était) (?:sourde?|aveugle)|sourde?-muette?|malentendante?s?|malvoyante?s?",
        r"non-voyante?s?",
        r"surpoids|obèse|obésité",
        r"ses médicaments",
        r"chimio(?:thérapie)?|diabète|diabétique|épilep\w*|séropositi\w*|vih",
    ),
    "sexual_orientation": (
        r"homosexuel(?:le)?s?|homos?|lesbiennes?|bisexuel(?:le)?s?",
        r"hétéro(?:sexuel(?:le)?)?s?",
        r"orientation sexuelle|sexualité",
        r"pédés?|tapettes?|gouines?",
        r"coming[ -]out",
    ),
    "vague": (
        r"pas (?:un |le |)(?:bon |vrai |)fit",
        r"fit culturel",
        r"(?:pas|aucun) (?:de |)(?:feeling|fit)",
        r"le courant (?:n'est |)pas (?:vraiment |)passé|le courant ne passe pas",
        r"(?:ça|cela) n'a pas (?:collé|accroché|matché|pris)",
        r"pas (?:le |)bon profil",
        r"(?:mon|notre) (?:intuition|instinct)|au feeling|mauvais feeling",
        r"drôle d'impression",
        r"(?:mauvaises?|drôles? de) (?:vibes?|ondes)",
        r"ne (?:colle|correspond) pas (?:à|avec) (?:l'équipe|la culture|nous|notre culture|nos "
        r"valeurs|l'esprit de la boîte)",
        r"pas (?:compatible|aligné|alignée) avec (?:notre culture|nos valeurs|l'équipe)",
    ),
    "blame": (
        r"perdu (?:notre|mon|son) temps|perte de temps",
        r"(?:fait|a fait) perdre (?:notre|mon|du) temps",
        r"évidemment|de toute évidence|manifestement pas",
        r"clairement (?:pas|aucune?|rien|jamais)",
        r"(?:aucune|pas la moindre|zéro) idée|n'(?:avait|a) aucune idée",
        r"à quoi (?:pensiez-vous|vous pensiez|il pensait|elle pensait)",
        r"mdr|ptdr|haha\w*",
        r"sérieusement ?[?!]|vraiment ?\?",
        r"(?:quel|un vrai|petit|sacré) génie",
        r"paresseu(?:x|se|ses)|fainéante?s?|flemmarde?s?",
        r"stupides?|idiote?s?|débiles?|crétine?s?|abrutie?s?",
        r"(?:complètement|totalement|vraiment|franchement|carrément) nulle?s?",
        r"incompétente?s?|incompétence|arrogante?s?|arrogance",
        r"ridicules?|pathétiques?|n'importe quoi",
        r"même un (?:stagiaire|junior|étudiant|débutant|enfant) (?:sait|saurait|aurait|peut|"
        r"pourrait)",
    ),
    "jargon": (
        r"(?:en|après|avant|lors de la|pour la) calibration(?! (?:du|de|des))",
        r"(?:réunion|comité|session) de calibration",
        r"pipeline (?:de recrutement|de candidats|des candidats)",
    ),
}

EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "age": (
        rf"{_TECH_THING} (?:\w+ )?(?:est|était|sont|étaient|semble|paraît) (?:un peu |bien |"
        r"beaucoup |vraiment |)trop (?:vieux|vieille|vieilles|âgé|âgée|jeune)",
        r"trop (?:vieux|vieille) pour (?:la|le|les|cette|ce) (?:bibliothèque|framework|api|"
        r"tests?|build|compilateur|projet)",
    ),
    "national_origin": (
        r"(?:champ|champs|colonne|attribut|liste|menu|sélecteur|code) (?:de |)(?:la |)(?:"
        r"nationalité|pays d'origine)",
        r"(?:nationalité|pays d'origine) (?:comme |en |)(?:champ|colonne|attribut|code)",
        r"(?:mis|mettre|met|mettez|mettant|mettait|mettent|avez mis|a mis) (?:l'|un |"
        r"particulièrement l'|bien l'|tout l'|)accent",
        r"accent (?:est |a été |)(?:mis |)sur",
        r"(?:à|de|vers) l'étranger",
    ),
    "religion": (r"(?:vous|te|nous) prie", r"prière de"),
    "disability_or_health": (r"handicap pour",),
    "blame": (r"(?:chargement|évaluation|initialisation|instanciation) paresseu\w*",),
}

SOFT_VAGUE: tuple[str, ...] = (
    r"pas (?:tout à fait |vraiment |exactement |)ce (?:que nous recherchons|que nous cherchons|"
    r"que l'on cherche|que l'on recherche|qu'on cherche|qu'on recherche)",
    r"pas (?:assez |vraiment |)convaincu(?:e|s|es)?|pas convaincante?",
    r"(?:n'a|ne nous a|ne m'a) pas (?:vraiment |)convaincu",
    r"pas (?:encore |tout à fait |)au niveau",
    r"(?:avons|a) retenu (?:un |une |d'autres |)(?:autres? |)(?:candidat|candidate|candidature|"
    r"profil)s?",
    r"manque de profondeur",
)

_FILLER = """
    a assez au aujourd'hui aussi avait avez avons beaucoup bien bon bonne bonnes bons bravo ça
    c'est c'était cela ce certaines ces compétences correct d d'un d'une dans de des du échange
    elle en encore ensemble entretien est et été était excellent excellente expérience faible
    félicitations fort forte génial globalement il impression j'ai je l l'ensemble la le les
    mais mauvais mauvaise merci moins moyen n n'est ne niveau nous on ou parfait parfaite pas
    peu plus plutôt potentiel pour question questions réponse réponses solide sont super sur
    ton top travail très trop tu un une vos votre vous vraiment y
    """
FILLER_WORDS: frozenset[str] = frozenset(_FILLER.split())

MESSAGE: str = "{label} (« {matched} ») : {reason}"

LABELS: dict[str, str] = {
    "age": "Mentionne l'âge",
    "sex_or_gender": "Fait référence au sexe ou au genre",
    "pregnancy_or_family": "Mentionne une grossesse ou des projets familiaux",
    "marital_status": "Mentionne la situation conjugale",
    "race_or_ethnicity": "Fait référence à l'origine ethnique ou à la couleur de peau",
    "national_origin": "Fait référence à l'origine nationale",
    "religion": "Mentionne la religion",
    "disability_or_health": "Mentionne un handicap ou l'état de santé",
    "sexual_orientation": "Mentionne l'orientation sexuelle",
    "vague": "Trop vague pour être utile",
    "blame": "Sonne comme un reproche ou de l'ironie",
    "jargon": "Utilise du jargon interne de recrutement",
    "too_short": "Trop court pour aider",
}

REASONS: dict[str, str] = {
    "age": "l'âge de la personne ne doit jouer aucun rôle dans un retour.",
    "sex_or_gender": (
        "qu'il s'agisse d'une femme ou d'un homme ne doit jouer aucun rôle dans l'évaluation de "
        "son travail."
    ),
    "pregnancy_or_family": (
        "une grossesse, des enfants ou des projets familiaux ne doivent pas peser sur une "
        "décision d'embauche, et le retour ne doit pas laisser penser que c'est le cas."
    ),
    "marital_status": "être marié, célibataire ou divorcé ne fait pas partie de l'évaluation.",
    "race_or_ethnicity": (
        "l'origine ethnique et la couleur de peau n'ont jamais leur place dans un retour."
    ),
    "national_origin": (
        "l'origine, la nationalité ou l'accent ne sont pas des compétences et ne doivent jouer "
        "aucun rôle dans un retour."
    ),
    "religion": "les convictions et la pratique religieuses ne doivent jouer aucun rôle dans un "
    "retour.",
    "disability_or_health": (
        "un handicap ou un problème de santé ne doit pas desservir une candidature, et le retour "
        "ne doit pas le mentionner."
    ),
    "sexual_orientation": "l'orientation sexuelle n'a pas sa place dans un retour.",
    "vague": "la personne ne peut rien tirer d'une impression ou d'un « fit ».",
    "blame": ("la personne retiendra le ton, pas le fond, et cela rejaillit sur l'entreprise."),
    "jargon": (
        "la personne ne saura pas ce que cela veut dire, et les niveaux et votes internes ne lui "
        "sont pas destinés."
    ),
    "too_short": "une ligne aussi brève ne lui donne rien sur quoi s'appuyer.",
}

SUGGESTIONS: dict[str, str] = {
    "age": (
        "Décrivez ce que la personne a fait pendant l'entretien : une réponse, un bout de code, "
        "une décision qu'elle a expliquée."
    ),
    "sex_or_gender": (
        "Décrivez le comportement et son effet comme vous le feriez pour n'importe qui, par "
        "exemple « vous avez coupé la parole avant la fin de la question, et nous n'avons pas "
        "pu aborder la montée en charge »."
    ),
    "pregnancy_or_family": (
        "Laissez la famille de côté. Si le poste impose des horaires ou des déplacements, "
        "indiquez cette exigence et ce que la personne en a dit."
    ),
    "marital_status": (
        "Retirez-le et tenez-vous-en à ce que la personne a montré : ses réponses, son code, son "
        "raisonnement."
    ),
    "race_or_ethnicity": (
        "Retirez-le et décrivez uniquement ce que la personne a dit et fait, au regard de ce "
        "que le poste demande."
    ),
    "national_origin": (
        "Si la communication compte pour le poste, citez un moment précis, par exemple « le "
        "plan de retour arrière était difficile à suivre parce que deux étapes manquaient ». "
        "Vous pouvez nommer une langue que le poste exige."
    ),
    "religion": (
        "Retirez-le. Si les horaires comptent, indiquez l'exigence elle-même, pas une raison "
        "que quelqu'un pourrait avoir."
    ),
    "disability_or_health": (
        "Décrivez le travail : ce que la réponse couvrait et ce qui manquait. Les aménagements "
        "de l'entretien relèvent du recrutement, pas du retour."
    ),
    "sexual_orientation": ("Retirez-le et décrivez ce que la personne a fait pendant l'entretien."),
    "vague": (
        "Nommez ce qu'il y a derrière : une exigence non remplie ou une réponse insuffisante, "
        "avec un exemple."
    ),
    "blame": (
        "Dites simplement ce qui manquait et ce qui aurait aidé, par exemple « la question sur "
        "les index demandait le compromis entre vitesse de lecture et d'écriture »."
    ),
    "jargon": (
        "Dites-le en termes clairs, à propos de son travail : ce qui était solide, et ce qui "
        "restait en deçà des attentes du poste."
    ),
    "too_short": (
        "Ajoutez un point concret : ce que la personne a fait, ce qui a marché, et ce qui "
        "l'aurait rendu plus solide."
    ),
}
