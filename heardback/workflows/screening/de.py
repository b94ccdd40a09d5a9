"""German: what screening looks for, and what it says about it.

Fragments follow the rules in ``en``: lower case, accents as written (they are folded away, so
"ueber" must be listed where it matters), a space for any whitespace, whole words only. German
compounds are one word, so "Akzentfarbe" is never "Akzent" and "Kinderkrankheiten" never
"Krankheit". The English lists apply as well.
"""

from __future__ import annotations

_NAT_ADJ = (
    r"(?:türkisch|indisch|chinesisch|russisch|polnisch|arabisch|afrikanisch|italienisch|"
    r"spanisch|französisch|amerikanisch|rumänisch|bulgarisch|griechisch|syrisch|afghanisch|"
    r"iranisch|osteuropäisch|südländisch|asiatisch|japanisch|koreanisch|vietnamesisch|"
    r"pakistanisch|nigerianisch|brasilianisch|mexikanisch|ukrainisch|albanisch|serbisch|"
    r"kroatisch|kurdisch|deutsch|österreichisch|schweizerisch|ostdeutsch|westdeutsch)"
    r"(?:e|er|es|en|em)?"
)
_NAT_NOUN = (
    r"(?:türke|türkin|inder|inderin|chinese|chinesin|russe|russin|pole|polin|araber|araberin|"
    r"afrikaner|afrikanerin|italiener|italienerin|spanier|spanierin|franzose|französin|"
    r"amerikaner|amerikanerin|ami|rumäne|rumänin|bulgare|bulgarin|grieche|griechin|syrer|"
    r"syrerin|afghane|afghanin|iraner|iranerin|osteuropäer|osteuropäerin|südländer|"
    r"südländerin|asiat|asiatin|japaner|japanerin|koreaner|koreanerin|vietnamese|vietnamesin|"
    r"pakistaner|pakistanerin|nigerianer|nigerianerin|brasilianer|brasilianerin|mexikaner|"
    r"mexikanerin|ukrainer|ukrainerin|albaner|albanerin|serbe|serbin|kroate|kroatin|kurde|"
    r"kurdin|ossi|wessi|ausländer|ausländerin)"
)
_PERSON = (
    r"(?:mann|frau|mädchen|kerl|typ|junge|dame|herr|mensch|menschen|person|leute|kollege|"
    r"kollegin|kollegen|bewerber|bewerberin|bewerbers|kandidat|kandidatin|kandidaten)"
)
_TECH_THING = (
    r"(?:version|versionen|bibliothek|library|release|paket|pakete|abhängigkeit|abhängigkeiten|"
    r"api|browser|kernel|runtime|laufzeit|framework|compiler|daten|datensatz|cache|eintrag|"
    r"einträge|snapshot|build|image|doku|dokumentation|code|ansatz|technik|beispiel|token|"
    r"zertifikat|schlüssel|index|branch|commit|backup|modell|hardware|server|treiber|firmware|"
    r"standard|node|python|java|jdk|sdk|betriebssystem|stand)"
)

PATTERNS: dict[str, tuple[str, ...]] = {
    "age": (
        r"zu (?:alt|jung)",
        r"(?:er|sie) (?:ist|war|wirkt|wirkte) (?:zu |sehr |noch |schon |ziemlich |recht |"
        r"etwas |)(?:alt|jung|älter|jünger)",
        r"(?:junges|jüngeres|dynamisches) team",
        r"jung(?:e|er|es|en)? und dynamisch\w*",
        rf"(?:junge|junger|jungen|junges|ältere|älterer|älteren|älteres|alte|alter|alten) "
        rf"{_PERSON}",
        r"junge(?:r|n|s)? (?:hüpfer|spund|talente?)",
        r"älteres semester",
        r"digital natives?",
        r"(?:in|für|wegen|bei|trotz|mit) (?:seinem|ihrem|seines|ihres|sein|ihr) alters?",
        r"(?:sein|ihr) alter(?= ?(?:[.,;!?]|$|ist\b|war\b|spielt\b|passt\b|und\b))",
        r"(?:ü|ue)berqualifiziert für (?:sein|ihr) alter",
        r"(?:kurz |knapp |nahe |)vor (?:der rente|dem ruhestand)",
        r"rentenalter|renteneintritt",
        r"nicht mehr (?:der|die) jüngste|nicht mehr ganz jung",
        r"\d{2} jahre alt",
        r"(?:anfang|mitte|ende) (?:zwanzig|dreißig|vierzig|fünfzig|sechzig|[2-6]0)",
        r"in den (?:zwanzigern|dreißigern|vierzigern|fünfzigern|sechzigern|[2-6]0ern)",
        r"jahrgang (?:19|20)\d{2}",
        r"(?:baby)?boomer|generation z",
    ),
    "sex_or_gender": (
        r"für (?:eine|ein) (?:frau|mädchen|mann)",
        r"als (?:frau|mann)(?= ?(?:[,.;!?]|$|(?:ist|hat|sollte|muss|wirkt|wäre|kann|würde|in|"
        r"im|mit|und|eher|zu|in der)\b))",
        r"mädchen",
        r"typisch (?:frau|mann|weiblich|männlich|mädchen|weib)",
        r"mütterlich\w*|väterlich\w*",
        r"weiblich\w*|männlich\w*",
        r"zickig\w*|hysterisch\w*|tussi|blondine|mannweib|mannsweib",
        r"(?:sein|ihr|seinem|ihrem|seines|ihres) geschlechts?",
        r"frauenquote|quotenfrau",
        r"(?:hübsch|attraktiv|süß)(?:e|er|es|en)? (?:frau|mädchen|dame|mann|kerl)",
        r"transgender|transfrau|transmann|nicht-binär|nichtbinär",
    ),
    "pregnancy_or_family": (
        r"schwanger\w*",
        r"mutterschutz|mutterschaft|elternzeit|kinderwunsch|familienplanung",
        r"kinderbetreuung|kita|tagesmutter|babysitter",
        r"(?:will|möchte|plant|planen|wollen|möchten|wünscht sich|bald) (?:bald |)kinder",
        r"(?:eine )?familie (?:zu )?gründen",
        r"familiäre(?:n)? (?:verpflichtungen|pflichten|gründe|situation|umstände)",
        r"familienpflichten",
        r"kleine(?:n)? kinder(?:n)?",
        r"(?:mutter|vater) von (?:zwei|drei|vier|\d|kleinen)",
        r"(?:zweifache|dreifache|junge|frischgebackene|berufstätige)(?:r)? (?:mutter|vater|mama|"
        r"papa)",
        r"(?:ist|wird|als) (?:mutter|vater|mama|papa)",
        r"(?:ein|ihr|sein|das) baby|babypause",
        r"(?:ihre|seine) (?:tochter|sohn|familie|kleinen)",
    ),
    "marital_status": (
        r"verheiratet\w*",
        r"ledig(?:e|er|en)?",
        r"geschieden(?:e|er|en)?|scheidung",
        r"ehemann|ehefrau|ehepartner\w*|gatte|gattin",
        r"ihr (?:mann|ehemann|verlobter)",
        r"(?:seine|seiner) (?:frau|ehefrau|freundin|verlobte)",
        r"verlobt\w*",
        r"witwe(?:r)?|verwitwet",
        r"alleinerziehend\w*",
        r"familienstand",
        r"(?:ist|sei|wäre) (?:noch |)single",
        r"heiratet|heiraten",
    ),
    "race_or_ethnicity": (
        r"rasse",
        r"ethnisch\w*|ethnie",
        r"hautfarbe",
        r"dunkelhäutig\w*|hellhäutig\w*",
        rf"(?:farbig|schwarz|weiß|dunkel)(?:e|er|en) {_PERSON}",
        r"zigeuner\w*",
    ),
    "national_origin": (
        r"akzents?(?! (?:farbe|setzen|gesetzt))",
        r"ausländer(?:in|innen|n)?",
        r"ausländisch(?:e|er|en)? (?:herkunft|name|namen|wurzeln|bewerber\w*|kandidat\w*|"
        r"akzent|mitbürger\w*)",
        r"migrationshintergrund|migrant(?:in|en|innen)?|einwanderer\w*|zugewandert\w*",
        r"flüchtling\w*|asylant\w*",
        r"(?:nicht-|kein |keine |)muttersprachler\w*",
        r"muttersprache",
        r"woher (?:er|sie) (?:kommt|stammt)|wo (?:er|sie) herkommt",
        r"(?:seine|ihre|seiner|ihrer) herkunft",
        r"herkunftsland",
        r"nationalität|staatsangehörigkeit",
        r"gebrochene(?:s|m)? deutsch",
        rf"typisch {_NAT_ADJ}",
        rf"{_NAT_ADJ} (?:mentalität|herkunft|abstammung|wurzeln|akzent|"
        r"arbeitsmoral|temperament|kollege|kollegin|mann|frau|mädchen|kerl|typ|bewerber|"
        r"bewerberin|kandidat|kandidatin)",
        rf"(?:er|sie) (?:ist|war) (?:ein |eine |)(?:{_NAT_NOUN}|{_NAT_ADJ})(?! (?:muttersprachler"
        r"\w*|sprechend\w*))",
        rf"als {_NAT_NOUN}",
    ),
    "religion": (
        r"religi(?:ö|oe)s\w*|religion(?:en)?",
        r"gläubige(?:r|n)? (?:muslim\w*|christ\w*|jude|jüdin|katholik\w*|mensch|person|frau|mann)",
        r"(?:ist|sehr|tief|streng) gläubig",
        r"kopftuch\w*|hidschab|hijab|burka|burqa|turban|kippa",
        r"kirche(?:n)?|kirchlich\w*|freikirch\w*",
        r"moschee(?:n)?|synagoge(?:n)?",
        r"betet|beten|gebet(?:e|s)?|gebetszeit(?:en)?",
        r"ramadan|sabbat|schabbat|halal",
        r"muslim\w*|moslem\w*|islam\w*",
        r"jude|juden|jüdin|jüdisch\w*",
        r"hindu\w*|sikh\w*|buddhist\w*|katholi\w*|evangelisch\w*|protestant\w*|atheist\w*",
        r"christlich\w*|christen",
        r"(?:ist|als|ein|eine|gläubige[rn]?|überzeugte[rn]?) christ(?:in)?",
        r"zeugen jehovas|konfession\w*",
    ),
    "disability_or_health": (
        r"behindert\w*|behinderung\w*|schwerbehindert\w*|gehbehindert\w*|sehbehindert\w*",
        r"rollstuhl\w*|gehhilfe",
        r"autis\w*|asperger\w*|adhs|legasthen\w*|dyslex\w*",
        r"depression(?:en)?|depressiv\w*",
        r"burn-?out|ausgebrannt",
        r"psychisch\w* (?:krank\w*|probleme\w*|erkrank\w*|belast\w*|labil)",
        r"psychische gesundheit|angststörung\w*|panikattacke\w*",
        r"bipolar\w*|schizophren\w*|zwangsstörung\w*",
        r"krankschreibung\w*|krankgeschrieben|krankenstand",
        r"krankheit(?:en)?|erkrankung(?:en)?|erkrankt",
        r"gesundheitlich\w* (?:probleme|gründe|einschränkung\w*|beschwerden|zustand)",
        r"gesundheitszustand",
        r"(?:seine|ihre) gesundheit",
        r"(?:wirkt|wirkte|war|ist|sah|sieht|schien|scheint) (?:etwas |sehr |)krank",
        r"chronisch krank\w*",
        r"stotter\w*|lispelt|lispeln",
        r"gehörlos\w*|schwerhörig\w*|hörgerät\w*",
        r"(?:ist|war) (?:fast |halb |)(?:blind|taub)",
        r"übergewicht\w*|fettleibig\w*",
        r"(?:seine|ihre|nimmt) medikamente",
        r"(?:hat|hatte) krebs|krebserkrank\w*",
        r"epilep\w*|diabet\w*",
    ),
    "sexual_orientation": (
        r"schwul\w*|lesbisch\w*|lesbe(?:n)?|bisexuell\w*|homosexuell\w*|heterosexuell\w*",
        r"hetero|queer|homos?|schwuchtel",
        r"sexuelle(?:n)? orientierung|sexualität",
        r"coming-out",
    ),
    "vague": (
        r"passt (?:einfach |)nicht (?:so |wirklich |ganz |richtig |)(?:ins team|zu uns|zum team|"
        r"zur kultur|in die kultur|zur firmenkultur|in unsere kultur|hierher|zur firma|"
        r"ins unternehmen)",
        r"(?:würde|wird) nicht (?:ins team|zu uns|zur kultur|zur firmenkultur) passen",
        r"kein (?:guter |echter |kultureller |richtiger |)fit",
        r"(?:kultureller|schlechter) fit|teamfit",
        r"chemie (?:hat |hat einfach |)(?:einfach |)nicht (?:gestimmt|gepasst)",
        r"chemie (?:stimmt|stimmte|passt|passte) (?:einfach |)nicht",
        r"bauchgefühl",
        r"(?:schlechtes|komisches|ungutes|merkwürdiges|seltsames) gefühl",
        r"(?:schlechte|komische|seltsame) vibes?",
        r"hat (?:einfach |irgendwie |)nicht gepasst",
        r"hat (?:einfach |)nicht (?:so |)geklickt",
        r"nicht (?:unser|mein) typ",
    ),
    "blame": (
        r"(?:unsere |meine |)zeit verschwendet|zeitverschwendung",
        r"offensichtlich (?:nicht|kein\w*|null|überhaupt nicht|gar nicht)",
        r"offenbar (?:nicht|kein\w*|null|überhaupt nicht|gar nicht) vorbereitet",
        r"(?:gar|überhaupt|null) nicht vorbereitet",
        r"keine ahnung (?:von|wie|was|davon|hatte)|(?:hatte|hat|haben) keine ahnung",
        r"null ahnung|keinen (?:blassen |)schimmer|ahnungslos\w*",
        r"was (?:haben sie|hat er|hat sie|hast du) sich (?:dabei |)gedacht",
        r"ernsthaft ?[?!]|wirklich ?\?",
        r"(?:echtes|großes|so ein|was für ein|kleines) genie",
        r"faul(?:e|er|es|en|heit)?(?! (?:auswertung|evaluation|initialisierung|laden))",
        r"dumm(?:e|er|es|en|heit|kopf)?|blöd(?:e|er|es|en|sinn)?",
        r"inkompetent\w*|arrogan\w*|unfähig\w*|lächerlich\w*",
        r"peinlich(?:e|er|es|en)?(?! genau)",
        r"idiot\w*|trottel|depp|versager\w*",
        r"(?:sogar|selbst) ein (?:praktikant|student|junior|anfänger|kind) (?:kann|könnte|weiß|"
        r"wüsste|hätte)",
    ),
    "jargon": (
        r"(?:starkes|klares) (?:nein|ja)",
        r"kalibrierung(?:srunde|smeeting|sgespräch)\w*",
        r"(?:in|nach|vor|bei) der kalibrierung(?! (?:des|der|von))",
        r"planstelle\w*",
        r"(?:bewerber|recruiting|einstellungs)-?pipeline",
    ),
}

EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "national_origin": (
        r"akzente? auf",
        r"(?:feld|felder|spalte|attribut|angabe|auswahl|dropdown|validierung) (?:für |der |von "
        r"|)(?:die |der |)(?:staatsangehörigkeit|nationalität|herkunftsland)",
        r"(?:staatsangehörigkeit|nationalität|herkunftsland) (?:als |im |)(?:feld|spalte|"
        r"attribut|auswahl|dropdown|code|iso-code)",
    ),
    "blame": (r"keine dumme(?:n)? frage(?:n)?",),
    "age": (
        rf"{_TECH_THING} (?:\w+ )?(?:ist|war|sind|waren|wirkt|scheint) (?:etwas |viel |deutlich "
        r"|einfach |schlicht |)zu (?:alt|jung)",
    ),
}

SOFT_VAGUE: tuple[str, ...] = (
    r"nicht (?:ganz |wirklich |genau |)(?:das|dem|),? was wir suchen",
    r"nicht (?:ganz |wirklich |)(?:das profil|das niveau),? (?:das|nach dem) wir suchen",
    r"(?:hat|konnte) (?:uns |mich |)(?:nicht|nicht ganz|nicht wirklich) überzeug\w*",
    r"nicht (?:ganz |wirklich |)überzeug(?:t|end)",
    r"(?:noch |)nicht so weit",
    r"(?:haben uns|uns) für (?:eine[n]? |)(?:andere[n]?|stärkere[n]?|erfahrenere[n]?) "
    r"(?:bewerber\w*|kandidat\w*|person\w*|profil\w*) entschieden",
)

_FILLER = """
    aber alle alles also am an antwort antworten arbeit auch auf aus ausgezeichnet beeindruckend
    bei bisschen bitte danke dank das dass dem den der des die dir du ein eine einem einen einer
    eindruck einfach er erfahrung es etwas exzellent fragen frage für ganz gar gefreut gemacht
    gern gerne gesamt gespräch gezeigt großartig gut gute guter gutes hat hatte hatten haben
    heute hervorragend hier ich ihnen ihr ihre im in insgesamt interview ist ja jedenfalls
    kenntnisse klasse leider leistung leistungen mal mehr mit nein nicht nichts niveau noch nur
    ok okay oder ordentlich prima richtig runde schlecht schwach sehr sie sind so solide stark
    starke starker starkes stärker super toll top uns und unser viel viele vielen von war waren
    weiter weiterhin weniger wir wirklich zeigte zu zum zur
    """
FILLER_WORDS: frozenset[str] = frozenset(_FILLER.split())

MESSAGE: str = "{label} („{matched}“): {reason}"

LABELS: dict[str, str] = {
    "age": "Erwähnt das Alter",
    "sex_or_gender": "Bezieht sich auf das Geschlecht",
    "pregnancy_or_family": "Erwähnt Schwangerschaft oder Familienplanung",
    "marital_status": "Erwähnt den Familienstand",
    "race_or_ethnicity": "Bezieht sich auf Hautfarbe oder ethnische Herkunft",
    "national_origin": "Bezieht sich auf die nationale Herkunft",
    "religion": "Erwähnt die Religion",
    "disability_or_health": "Erwähnt eine Behinderung oder die Gesundheit",
    "sexual_orientation": "Erwähnt die sexuelle Orientierung",
    "vague": "Zu vage, um daraus etwas zu lernen",
    "blame": "Klingt nach Vorwurf oder Spott",
    "jargon": "Verwendet interne Recruiting-Begriffe",
    "too_short": "Zu kurz, um zu helfen",
}

REASONS: dict[str, str] = {
    "age": "Das Alter der Person darf im Feedback keine Rolle spielen.",
    "sex_or_gender": (
        "Ob jemand Frau oder Mann ist, darf bei der Bewertung der Arbeit keine Rolle spielen."
    ),
    "pregnancy_or_family": (
        "Schwangerschaft, Kinder und Familienplanung dürfen eine Einstellungsentscheidung nicht "
        "beeinflussen, und das Feedback darf nicht den Eindruck erwecken, sie hätten es getan."
    ),
    "marital_status": (
        "Ob jemand verheiratet, ledig oder geschieden ist, gehört nicht zur Bewertung."
    ),
    "race_or_ethnicity": "Hautfarbe und ethnische Herkunft haben im Feedback nichts zu suchen.",
    "national_origin": (
        "Herkunft, Staatsangehörigkeit oder Akzent sind keine Qualifikation und dürfen im "
        "Feedback keine Rolle spielen."
    ),
    "religion": "Glaube und Religionsausübung dürfen im Feedback keine Rolle spielen.",
    "disability_or_health": (
        "Eine Behinderung oder Erkrankung darf nicht gegen jemanden sprechen, und das Feedback "
        "darf sie nicht erwähnen."
    ),
    "sexual_orientation": "Die sexuelle Orientierung hat im Feedback nichts zu suchen.",
    "vague": "Aus einem Gefühl oder einem „Fit“ kann die Person nichts lernen.",
    "blame": (
        "Bei der Person kommt der Ton an, nicht der Inhalt, und er fällt auf das Unternehmen "
        "zurück."
    ),
    "jargon": (
        "Die Person weiß nicht, was damit gemeint ist, und interne Level und Voten sind nicht "
        "für sie bestimmt."
    ),
    "too_short": "So knapp gibt die Zeile der Person nichts an die Hand.",
}

SUGGESTIONS: dict[str, str] = {
    "age": (
        "Beschreiben Sie, was die Person im Gespräch gemacht hat: eine Antwort, ein Stück Code, "
        "eine Entscheidung, die sie begründet hat."
    ),
    "sex_or_gender": (
        "Beschreiben Sie das Verhalten und seine Wirkung so, wie Sie es bei jeder anderen Person "
        "tun würden, z. B. „Sie haben mehrmals unterbrochen, bevor die Frage zu Ende war, daher "
        "kamen wir nicht mehr zur Skalierung“."
    ),
    "pregnancy_or_family": (
        "Lassen Sie die Familie weg. Hat die Stelle feste Zeiten oder Reisen, nennen Sie diese "
        "Anforderung und was die Person dazu gesagt hat."
    ),
    "marital_status": (
        "Streichen Sie das und bleiben Sie bei dem, was die Person gezeigt hat: ihre Antworten, "
        "ihren Code, ihre Überlegungen."
    ),
    "race_or_ethnicity": (
        "Streichen Sie das und beschreiben Sie nur, was die Person gesagt und getan hat, "
        "gemessen an den Anforderungen der Stelle."
    ),
    "national_origin": (
        "Wenn Kommunikation für die Stelle wichtig ist, nennen Sie einen konkreten Moment, z. B. "
        "„der Rollback-Plan war schwer nachzuvollziehen, weil zwei Schritte fehlten“. Die "
        "Sprachkenntnisse, die die Stelle verlangt, dürfen Sie benennen."
    ),
    "religion": (
        "Streichen Sie das. Wenn die Arbeitszeiten wichtig sind, nennen Sie die Anforderung "
        "selbst, nicht einen Grund, den jemand dafür haben könnte."
    ),
    "disability_or_health": (
        "Beschreiben Sie die Arbeit: was die Antwort abgedeckt hat und was gefehlt hat. "
        "Anpassungen für das Gespräch organisiert das Recruiting, sie gehören nicht ins Feedback."
    ),
    "sexual_orientation": (
        "Streichen Sie das und beschreiben Sie, was die Person im Gespräch gemacht hat."
    ),
    "vague": (
        "Benennen Sie, was dahintersteht: eine Anforderung, die nicht erfüllt war, oder eine "
        "Antwort, die zu kurz griff, mit einem Beispiel."
    ),
    "blame": (
        "Sagen Sie sachlich, was gefehlt hat und was geholfen hätte, z. B. „bei der Frage zu "
        "Indizes fehlte die Abwägung zwischen Lese- und Schreibgeschwindigkeit“."
    ),
    "jargon": (
        "Sagen Sie es in klaren Worten über die Arbeit: was stark war und was hinter den "
        "Anforderungen der Stelle zurückblieb."
    ),
    "too_short": (
        "Ergänzen Sie einen konkreten Punkt: was die Person getan hat, was gut funktioniert hat "
        "und was es noch besser gemacht hätte."
    ),
}
