"""English: what screening looks for, and what it says about it.

Patterns are regular-expression fragments matched against the line after folding (NFKC-style
compatibility forms, case folded, accents stripped, curly apostrophes made straight), always as
whole words: a fragment never matches inside a longer word or a hyphenated compound
("health-check" is not "health"). Write fragments in lower case, with accents if the word has
them; a space stands for any run of whitespace. English applies under every locale, because
interviewers at non-English companies often write English.
"""

from __future__ import annotations

_PRONOUN = r"(?:his|her|their|the candidate's)"
_HE_SHE = r"(?:he|she|they)"
_IS = r"(?:'s|'re| is| are| was| were| seems?| seemed| looks?| looked)"
_PERSON = (
    r"(?:guy|guys|man|men|woman|women|girl|girls|lady|ladies|dude|kid|person|people|"
    r"candidate|candidates|applicant|applicants|engineer|engineers|developer|developers|hire)"
)
_NATIONALITY = (
    r"(?:american|british|english|scottish|irish|welsh|canadian|australian|indian|pakistani|"
    r"bangladeshi|sri lankan|nepali|chinese|japanese|korean|vietnamese|filipino|filipina|thai|"
    r"indonesian|malaysian|russian|ukrainian|belarusian|polish|romanian|bulgarian|hungarian|"
    r"czech|slovak|serbian|croatian|bosnian|albanian|greek|turkish|kurdish|german|french|"
    r"spanish|italian|portuguese|dutch|belgian|swiss|austrian|swedish|norwegian|danish|"
    r"finnish|mexican|brazilian|argentinian|argentine|colombian|venezuelan|peruvian|chilean|"
    r"cuban|nigerian|ghanaian|kenyan|ethiopian|somali|egyptian|moroccan|algerian|tunisian|"
    r"lebanese|syrian|iraqi|iranian|persian|afghan|israeli|palestinian|saudi|"
    r"eastern european|latin american|middle eastern|african|european)"
)
# After "for a <nationality>": a company, a market... is not a person.
_NOT_A_PERSON = (
    r"(?! (?:company|companies|firm|client|clients|customer|customers|market|markets|team|"
    r"bank|startup|product|site|website|user|users|audience|law|regulation|bank holiday|"
    r"office|subsidiary|project|keyboard|locale|translation|version|speakers?|speaking|"
    r"native|teacher|language|course))"
)
# "Not a good fit for this workload" is about a design, not a person.
_NOT_THE_DATA = (
    r"(?! (?:for|to|with) (?:the |this |that |a |an |our |your |)(?:\w+ ){0,2}(?:problem|data|"
    r"task|use case|workload|question|query|queries|access pattern|curve|model|distribution|"
    r"scale|load|traffic|job|tool|requirement)s?(?![\w-]))"
)
# Technical things that can be too old (a library, a runtime) are not people.
_TECH_THING = (
    r"(?:version|versions|library|libraries|release|package|packages|dependency|dependencies|"
    r"api|browser|kernel|runtime|node|python|java|jdk|sdk|framework|compiler|toolchain|data|"
    r"dataset|cache|entry|entries|record|records|snapshot|build|image|docs|documentation|code|"
    r"project|product|startup|field|technology|language|ecosystem|community|market|feature|"
    r"service|repo|repository|protocol|platform|tool|tooling|stack|database|schema|"
    r"codebase|approach|technique|example|token|certificate|key|index|stats|statistics|"
    r"branch|commit|backup|model|hardware|machine|server|os|driver|firmware|standard|spec)"
)

PATTERNS: dict[str, tuple[str, ...]] = {
    "age": (
        r"too (?:old|young)",
        r"(?:a bit|quite|rather|very|fairly|pretty|somewhat) (?:old|young) (?:for|to)",
        rf"{_HE_SHE}{_IS} (?:too |very |quite |a bit |rather |fairly |pretty |a little |"
        r"getting |)(?:old|young|older|younger|elderly)(?! (?:version|code|api|approach)s?)",
        r"young (?:team|crowd|blood|gun|thing|things|and (?:hungry|dynamic|"
        r"energetic|fresh))",
        rf"(?:young|old|older|younger|elderly|middle-aged) {_PERSON}",
        r"young (?:lady|lad|man|woman)",
        r"(?:someone|somebody|people|candidates?|person) (?:younger|older)",
        rf"{_HE_SHE}(?:'s| is| was) (?:about |around |probably |maybe |over |under |nearly |"
        r"almost |at least |)\d{2}(?= ?(?:[.,;!?]|$|and |but |so |or |years old))",
        r"digital natives?",
        r"overqualified for (?:his|her|their) age",
        rf"{_PRONOUN} (?:age|generation)",
        r"years left in (?:him|her|them)",
        r"(?:not|no longer) (?:getting )?any younger",
        r"(?:close|near|nearing|approaching|so close|too close) (?:to )?retirement",
        r"retirement age",
        r"(?:late|early|mid)[ -]?(?:twenties|thirties|forties|fifties|sixties|[2-6]0s)",
        r"in (?:his|her|their) (?:twenties|thirties|forties|fifties|sixties|seventies|[2-7]0s)",
        r"\d{2}[ -]years?[ -]old",
        r"aged \d{2}",
        r"(?:baby )?boomers?",
        r"millennials?",
        r"gen[ -]?z(?:ers?)?",
        r"zoomers?",
        r"old[ -]timers?",
        r"set in (?:his|her|their) ways",
        r"(?:energy|stamina) of a (?:younger|young) (?:person|engineer|candidate)",
    ),
    "sex_or_gender": (
        r"as an? (?:woman|man|female|male|girl|guy|lady)",
        r"for an? (?:woman|female|girl|lady|man|male|guy)",
        r"(?:need|needs|want|wants|prefer|prefers|looking for|hire|hiring) an? (?:man|woman|guy|"
        r"girl|female|male|lady)",
        r"(?:like|typical|typically) (?:an? )?(?:woman|women|girl|girls|man|men|female|male|"
        r"lady)",
        r"girls?",
        r"young lady",
        r"ladylike|unladylike",
        r"motherly|fatherly|maternal|matronly",
        r"feminine|masculine|manly|girly|effeminate|emasculated",
        rf"{_PRONOUN} (?:gender|sex)",
        r"(?:because|since) (?:she|he)(?:'s| is) an? (?:woman|man|female|male)",
        r"(?:female|male) (?:candidate|applicant|engineer|developer|dev|hire|interviewee|"
        r"coder|programmer)s?",
        r"women in tech",
        r"transgender|non-?binary",
        r"trans (?:woman|man|person|candidate)",
        r"hysterical|shrill|bossy|ditzy|ditsy|catty",
        r"emotional (?:woman|girl|lady)",
        r"(?:pretty|cute|attractive|hot) (?:girl|woman|lady|face|guy)",
        r"good[ -]looking",
        r"eye candy",
        r"time of the month",
    ),
    "pregnancy_or_family": (
        r"pregnan(?:t|cy|cies)",
        r"expecting (?:a baby|a child|twins|her first|his first)",
        r"(?:baby|maternity|paternity|parental|family|adoption) leave",
        r"maternity|paternity",
        r"(?:plans?|planning|wants?|wanting|hopes?|hoping|trying|going|likely) to (?:have|start) "
        r"(?:a )?(?:kids|children|baby|babies|family)",
        r"start(?:ing)? a family",
        r"family (?:plans|planning)",
        r"child ?care|day ?care|nursery|school runs?|babysitter|nanny",
        r"family (?:commitments|obligations|responsibilities|duties|situation|reasons|"
        r"circumstances|life)",
        r"(?:he|she)(?: has|'s got| has got) (?:(?:young|small|little|two|three|four|[2-9]) )"
        r"{0,2}(?:kids|children|toddlers?|a baby|a newborn)",
        r"(?:has|have|got|with) (?:(?:young|small|little|two|three|four|[2-9]) ){0,2}kids",
        r"family (?:man|woman|guy|girl|person)",
        r"(?:with|has|have) (?:young|small|little) children",
        r"(?:his|her) (?:kids|children|baby|son|daughter|family)",
        r"their (?:kids|baby|son|daughter)",
        r"(?:a |the )?(?:mother|father|mum|mom|dad) of (?:two|three|four|five|[2-9]|young|"
        r"small|little)",
        r"(?:working|busy|new|young|stay-at-home) (?:mum|mom|mother|father|dad|parent)s?",
        r"as an? (?:mother|father|mum|mom|dad|parent)",
        r"(?:kids|children) at home",
        r"(?:a|her|his|their|new) baby(?! steps?)",
    ),
    "marital_status": (
        r"(?:is|'s|was|are|were|got|getting|being|recently|newly|happily|just got|not|never) "
        r"married",
        r"unmarried",
        r"married (?:to an?|to someone|with (?:kids|children)|man|woman|couple|mother|father|"
        r"life)",
        r"marriage|marital",
        r"single (?:mom|mum|mother|dad|father|parent)s?",
        rf"{_HE_SHE}(?:'s| is| are)(?: still)? single(?! (?:threaded|page|point|source|"
        r"responsibility|handedly))",
        r"divorc(?:ed|e|es|ee|ing)",
        r"husbands?|wife|wives|spouses?",
        r"ex-(?:wife|husband|partner)",
        r"widow(?:ed|er|s)?",
        r"fiance(?:e|es|s)?",
        r"(?:his|her|their) (?:girlfriend|boyfriend)",
        r"(?:is|'s|got|just got|recently got|newly) engaged",
    ),
    "race_or_ethnicity": (
        rf"{_PRONOUN} (?:race|skin)",
        r"(?:because of|due to) (?:his|her|their) (?:race|skin|colou?r)",
        r"racial(?:ly)?",
        r"ethnic(?:ity|ities|ally)?",
        r"skin (?:colou?r|tone)",
        r"colou?r of (?:his|her|their) skin",
        r"(?:people|person|candidates?|woman|women|man|men) of colou?r",
        rf"(?:black|white|asian|brown|hispanic|latino|latina|latinx|arab|caucasian) {_PERSON}",
        rf"{_HE_SHE}{_IS} (?:black|white|asian|brown|hispanic|latino|latina|latinx|arab|"
        r"caucasian)(?! (?:box|board|list|space|hat|paper)s?)",
        r"caucasian",
        r"(?:diversity|minority) (?:hire|hires|candidate|candidates|pick|box|quota)",
        r"gypsy|gypsies",
        r"exotic (?:looking|look|looks|name|features)",
    ),
    "national_origin": (
        r"accent(?! (?:colou?rs?|marks?|characters?|letters?|keys?|lines?|borders?|bars?))",
        r"(?:heavy|thick|strong|foreign|funny|weird|noticeable|broad) accents",
        r"foreigners?",
        r"foreign[ -](?:national|nationals|candidate|worker|background|name|sounding|born)",
        r"(?:immigrants?|migrants?|expats?)(?! (?:services?|pods?))",
        r"(?:non-|not a |not an? )?native (?:\w+ )?speakers?",
        r"(?:not|isn't|is not|wasn't|was not) (?:his|her|their) (?:first|native|mother) "
        r"(?:language|tongue)",
        r"mother tongue",
        r"broken (?:english|german|french|spanish)",
        r"where (?:he|she) (?:is|was|comes|came|originally comes|originally came) from",
        r"where (?:he|she|they)'(?:s|re) (?:originally |)from",
        r"where they (?:are|were) originally from",
        r"where (?:is|was) (?:he|she) (?:originally |really |actually |)from",
        r"(?:names?|surnames?) sounds? (?:foreign|exotic|\w+ish)|sounds? foreign",
        r"where the candidate (?:is|was|comes|came) from",
        rf"{_PRONOUN} (?:nationality|origins?|country of origin|home country|passport|ancestry|"
        r"heritage)",
        r"nationality|national origin|country of origin|third[ -]world",
        rf"(?:typical|typically) {_NATIONALITY}",
        rf"{_NATIONALITY} (?:guy|guys|man|men|woman|women|girl|girls|lady|dude|people|"
        r"candidate|candidates|mentality|attitude|work ethic|stereotype|temperament)",
        rf"(?:for|as) an? {_NATIONALITY}{_NOT_A_PERSON}",
        rf"{_HE_SHE}{_IS} {_NATIONALITY}(?! (?:speak\w*|language|fluent|fries))",
        r"fresh off the boat",
    ),
    "religion": (
        r"religio(?:n|ns|us)",
        r"(?:his|her|their) (?:faith|religious beliefs)",
        r"headscarf|headscarves|hijabi?|burqa|burka|niqab|turban|kippah|yarmulke",
        r"church(?:es)?(?! (?:encoding|numerals?|turing))",
        r"mosques?|synagogues?",
        r"pray(?:s|ing|ed|er|ers)?",
        r"ramadan|sabbath|shabbat|halal|diwali|yom kippur|passover",
        r"muslims?|moslems?|islam(?:ic)?|jews?|jewish|hindus?|hinduism|sikhs?|buddhists?|"
        r"buddhism|catholics?|protestants?|evangelicals?|mormons?|atheists?|christianity",
        r"(?:a|as a|is|'s|devout|practising|practicing|born-again|being|very) christian",
        r"christian (?:faith|values|beliefs|background|school|church)",
        r"devout|churchgoer|churchgoing",
        r"qur'?an|koran",
    ),
    "disability_or_health": (
        r"disab(?:led|ility|ilities)",
        r"handicap(?:ped|s)?",
        r"wheel ?chairs?|walking (?:stick|cane|frame)",
        r"autis(?:m|tic)",
        r"asperger'?s?|on the spectrum",
        r"adhd|dyslexi(?:a|c)|dyspraxi(?:a|c)|tourette'?s?|neurodivergent|neurodiverse",
        r"depress(?:ion|ed|ive)",
        r"anxiety (?:disorder|attacks?|issues|problems)|panic attacks?",
        r"mental (?:health|illness|issues|problems|breakdown|condition)",
        r"mentally (?:ill|unstable|unwell|challenged|retarded)",
        r"bipolar|schizophreni(?:a|c)|psychotic|ocd|ptsd",
        r"burn(?:ed|t)?[ -]?out(?! (?:rate|detection))",
        r"sick (?:leave|days?|note|notes)",
        r"(?:health|medical) (?:problems?|issues?|conditions?|history|reasons?|grounds)",
        r"(?:chronic|long-term) (?:illness|condition|pain|fatigue)",
        r"(?:his|her) (?:health|illness|diagnosis|medication|disability|therapist)",
        r"their (?:illness|diagnosis|medication|disability|therapist)",
        r"illness(?:es)?",
        r"(?:is|was|seems?|seemed|looked|looks|got|being) (?:sick|ill|unwell)(?! (?:defined|"
        r"suited|advised|posed|formed|conceived|prepared|equipped|fitting|timed))",
        r"cancer|chemo(?:therapy)?|diabet(?:es|ic)|epilep(?:sy|tic)|hiv",
        r"on (?:meds|medication)",
        r"stutter(?:s|ed|ing)?|stammer(?:s|ed|ing)?|speech impediment",
        r"hard of hearing|hearing aids?|deaf",
        r"(?:is|'s|legally|partially|colou?r) blind",
        r"visually impaired|(?:physical|visual|hearing|cognitive) impairment",
        r"overweight|obese|obesity",
        r"retarded|special needs",
        r"amputee|prosthe(?:sis|tic)",
    ),
    "sexual_orientation": (
        r"gays?|lesbians?|bi-?sexual|homosexual(?:ity)?|heterosexual|queer",
        r"lgbt\w*",
        r"sexual orientation|sexuality",
        r"straight (?:guy|man|woman|girl|couple)",
        rf"{_HE_SHE}(?:'s| is| are| seems| seemed)(?: not)? straight(?= ?(?:[.,;!?]|$|and |but "
        r"|or ))",
        r"same-sex",
        r"came out as|in the closet|closeted",
        r"faggots?|dykes?",
        r"pride (?:flag|parade|pin)",
    ),
    "vague": (
        r"(?:not|isn't|wasn't|never|no longer) (?:really |quite |entirely |exactly |"
        rf"necessarily |)(?:a|an|the|our) (?:\w+ )?fit{_NOT_THE_DATA}",
        rf"(?:bad|poor|wrong|weak|questionable) (?:culture |cultural |team |)fit{_NOT_THE_DATA}",
        r"(?:culture|cultural|team)[ -]fit",
        r"(?:doesn't|does not|wouldn't|would not|won't|will not|didn't|did not|don't|do not) "
        r"(?:really )?fit (?:in with |in |into |with |)(?:the team|our team|the culture|"
        r"our culture|us|here|in here|the company)",
        r"(?:didn't|did not|never|just didn't|doesn't|does not) (?:really )?(?:click|gel)",
        r"no (?:real )?chemistry",
        r"gut (?:feeling|says|instinct|reaction|tells me|check)",
        r"my gut",
        r"just a feeling",
        r"(?:bad|weird|off|strange|odd|wrong|negative|funny) vibes?",
        r"vibes? (?:was|were|felt) off",
        r"something (?:was|felt|seemed) off",
        r"it (?:felt|seemed) off",
        r"not (?:our|my) (?:type|kind of (?:person|candidate|people))",
        r"not one of us",
    ),
    "blame": (
        r"wast(?:ed|ing|es) (?:our|my|everyone's|the team's|the panel's|their|his|her) time",
        r"(?:a |complete |total |)waste of (?:our |my |everyone's |)time",
        r"obviously",
        r"clearly (?:didn't|did not|hadn't|had not|never|wasn't|was not|isn't|is not|doesn't|"
        r"does not|has no|had no|lacks|lacked|couldn't|could not|can't|cannot)",
        r"(?:didn't|did not|couldn't|could not) (?:even )?bother",
        r"(?:had|has|have) (?:absolutely |literally |)(?:no|zero) (?:idea|clue)",
        r"no idea (?:what|how|why|about|of|whatsoever)",
        r"(?:not|without) (?:a|the slightest|the faintest) clue",
        r"clueless",
        r"what (?:were|was) (?:you|he|she|they) thinking",
        r"lol|lmao|rofl|wtf|omg|facepalm|smh|haha(?:ha)*",
        r"seriously ?[?!]",
        r"really ?\?",
        r"are you (?:kidding|serious)",
        r"(?:real|such a|what a|some|little|our|regular|resident|proper|evil) genius",
        r"[\"'“]genius[\"'”]",
        r"(?:mr\.? |ms\. |a |)know[ -]it[ -]all",
        r"smart ?ass",
        r"lazy(?! (?:load\w*|evaluat\w*|initiali[sz]\w*|init|import\w*|iterat\w*|sequences?|"
        r"propert\w*|lists?|streams?|val|static|binding\w*|approach to loading|fetch\w*))",
        r"stupid(?:ity)?",
        r"dumb(?! (?:components?|terminals?|pipes?|clients?|switch\w*))",
        r"idiot(?:s|ic)?|moron(?:s|ic)?|imbecile",
        r"incompeten(?:t|ce)",
        r"arrogan(?:t|ce)",
        r"pathetic|hopeless|laughable|ridiculous|embarrassing|amateurish",
        r"(?:was|is|were) (?:a |)(?:complete |total |)joke",
        r"(?:complete|total) joke",
        r"brain ?dead",
        r"zero effort|(?:made|put in|showed) no effort",
        r"(?:didn't|did not) (?:even )?care",
        r"slacker",
        r"even an? (?:intern|junior|student|child|kid|beginner|first[ -]year\w*) (?:could|would|"
        r"knows?|can)",
        r"how (?:could|can) (?:you|he|she|they|anyone) not know",
        r"basic stuff",
    ),
    "jargon": (
        r"l(?:[3-9]|1[0-2])(?!/l?\d| ?-?(?:cache|caches|load|layer|switch\w*|prox\w*|balanc\w*|"
        r"network\w*|routing|traffic|firewall\w*|protocol\w*|regulari[sz]\w*|norm|loss|distance|"
        r"penalty|support|ticket\w*|cell|rule\w*|filter\w*|inspection|header\w*))",
        r"l(?:[3-9]|1[0-2])-level",
        r"(?:sde|swe)-?(?:[1-3]|i{1,3})|(?:sde|swe) (?:[1-3]|ii|iii)|ic[3-8]",
        r"(?:down|up)-?level(?:l?ed|l?ing|s)?",
        r"(?:leveling|levelling) (?:decision|discussion|committee|meeting|call|guide|rubric|"
        r"feedback)",
        r"(?:for|in|pending|after|during|at) (?:the )?(?:leveling|levelling)(?! (?:of|the|load|"
        r"out|up))",
        r"bar[ -]?raisers?",
        r"(?:meet|meets|met|clear|clears|cleared|below|above|under|lower|lowers|lowering|lowered|"
        r"raise|raises|raised) (?:our|my|the hiring|our hiring) bar",
        r"(?:doesn't|does not|didn't|did not|don't|do not|failed to|fails to|fail to) (?:quite |)"
        r"(?:meet|clear|reach|hit) (?:the|our) bar",
        r"(?:meet|meets|met|clear|clears|cleared) the bar(?! (?:exam|association|council))",
        r"(?:below|above|under) the bar(?! (?:chart|graph|plot|code)s?)",
        r"hiring bar",
        r"(?:strong|weak|lean(?:ing)?|soft) (?:no[ -]?)?hire",
        r"(?:strong|weak|lean(?:ing)?) (?:yes|no)",
        r"no[ -]hire",
        r"hire ?/ ?no[ -]?hire",
        r"snh|lnh",
        r"(?:this|that|our|open|another|closed|approved|backfill|frozen) reqs?(?!\.)(?! (?:and|"
        r"object|body|params?|headers?|handler|res|argument|parameter|variable|param|url|method)"
        r"s?)",
        r"the req (?:for (?:this|the) (?:role|position|team)|is|was|has)(?! (?:sent|made|"
        r"received|parsed|handled|processed|retried))",
        r"reqs? (?:is|was|has been|got|are|were) (?:closed|filled|frozen|on hold|cancelled|"
        r"canceled|paused|open)",
        r"req (?:id|number|#)",
        r"headcount|hc",
        r"calibrat(?:ion|ed|ing|e) (?:meeting|session|committee|call|discussion|round|panel)s?",
        r"(?:in|at|after|before|pending|during|post) (?:the )?calibration(?= ?(?:[.,;!?]|$|"
        r"(?:we|the panel|the committee|you|it|your)(?![\w-])))",
        r"calibrated (?:with|against) (?:the )?(?:panel|team|committee|other (?:candidates|"
        r"interviewers))",
        r"(?:hiring|candidate|recruiting|recruitment|interview|talent|applicant|sourcing) "
        r"pipelines?",
        r"(?:move|moving|moved|advance|advancing|advanced|keep|keeping|kept|push|pushing|pushed|"
        r"progress|progressing|progressed) (?:you |him |her |them |the candidate |)(?:forward "
        r"|along |ahead |)(?:in|through|into) (?:our|the) pipeline(?! (?:you|code|design|"
        r"config|stage|step|job|definition|yaml|file|run)s?)",
        r"ats|applicant tracking(?: system)?",
        r"scorecards?",
        r"comp (?:band|range|bands|ranges|package|expectations)",
        r"debrief(?:s|ed|ing)?",
        r"(?:onsite|on-site|interview) loop(?! (?:iteration|body|variable|counter|condition|"
        r"invariant)s?)",
        r"hiring committee",
        r"(?:strong|weak|mixed|positive|negative|enough|not enough|limited|no|some|good) signals? "
        r"(?:on|for|around) (?:his|her|their|your|the candidate's)",
        r"(?:hire|no-hire|hiring) signals?",
        r"yoe|ftes?",
    ),
}

# Words for data, not people: "the marital status field", "a childcare booking app".
_DATA = (
    r"(?:field|fields|table|tables|column|columns|schema|schemas|model|models|data|dataset|"
    r"record|records|attribute|attributes|entity|entities|enum|form|forms|dropdown|app|apps|"
    r"platform|booking|software|startup|company|provider|project|system|service|marketplace|"
    r"website|site|product|client|customer|sector|industry|research|screening|detection|"
    r"clinic|charity|registry|study|studies|api|endpoint|check|checks|rule|rules|code|codes)"
)

# A match that falls inside one of these is a legitimate, technical use.
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "sex_or_gender": (r"girls who code|girl scouts?|girls in tech",),
    "pregnancy_or_family": (
        rf"(?:child ?care|day ?care|nursery|maternity|paternity|parental leave|family leave) "
        rf"{_DATA}",
    ),
    "jargon": (
        r"(?:incident|post-incident|postmortem|post-mortem|project|sprint|retro|outage) "
        r"debriefs?",
        r"debrief(?:ed|ing)? (?:the|an?|after the|after an?) (?:incident|outage|postmortem|"
        r"release|launch)",
    ),
    "blame": (r"no (?:such thing as an? |)(?:stupid|dumb) questions?",),
    "age": (
        rf"{_TECH_THING} (?:\w+ )?(?:is|was|are|were|seems?|looked|looks|got|gets) (?:a bit |"
        r"slightly |far |much |way |simply |just |)too (?:old|young)",
        r"too old (?:to (?:run|support|compile|build|work with|use|be supported)|for (?:the|this|"
        r"our|that) (?:library|framework|api|tests?|build|runtime|project|toolchain|compiler))",
    ),
    "national_origin": (
        rf"(?:nationality|country of origin|national origin) {_DATA}",
        r"(?:accent|accents) (?:colou?r|mark|character)",
        r"native (?:\w+ )?speakers? (?:api|library|engine|model|synthesis)",
    ),
    "marital_status": (
        rf"(?:marital status|spouses?) (?:and dependents |)(?:\w+ |){_DATA}",
        r"married to (?:the|your|his|her|their|that|this|one|a single|an?) (?:idea|design|"
        r"approach|solution|framework|tool|stack|first|original|plan|pattern|language|"
        r"technology|library|database|architecture)",
    ),
    "disability_or_health": (
        rf"(?:cancer|diabetes|hiv|mental health|depression|autism|epilepsy|disability|"
        rf"disabilities|wheelchair|sick leave|medical) {_DATA}",
        r"(?:cluster|service|node|system|server|database|replica|pod|broker|host|app|"
        r"application|fleet)(?:'s|s'|s|) health (?:problems?|issues?|conditions?|history)",
        r"(?:health|medical) (?:problems?|issues?|conditions?|history|records?) (?:tables?|"
        r"schemas?|models?|entit(?:y|ies)|fields?|data|api|endpoints?|services?|modules?|forms?)",
        r"(?:patient|patients|patient's|patients') (?:\w+ ){0,2}(?:medical|health) \w+",
    ),
}

# Vague only when nothing specific comes with them: "Not what we are looking for." is no
# feedback, "Not what we are looking for: the role needs Kafka in production" is.
SOFT_VAGUE: tuple[str, ...] = (
    r"not (?:quite |really |exactly |)what we(?:'re| are| were) (?:really |)(?:looking for|after)",
    r"not (?:quite |)there yet",
    r"(?:didn't|did not|doesn't|does not|failed to) (?:really |)(?:impress|convince|stand out)",
    r"not (?:really |)(?:convinced|impressed|convincing)",
    r"not (?:quite |)(?:at )?the level we (?:need|want|expect|are looking for)",
    r"(?:lacked|lacks|lacking) depth",
    r"(?:went|go|going|moved|move|moving|decided to go|decided to move) (?:forward |ahead |)"
    r"with (?:other|another|a different|a stronger|stronger|more experienced) (?:candidates?|"
    r"applicants?|profiles?|people)",
    r"(?:other|stronger) candidates were (?:stronger|better|ahead)",
)

# Praise, criticism and function words that carry no content by themselves: a line made only of
# these ("Great job, well done!") tells the candidate nothing.
_FILLER = """
    a about absolutely all also am amazing an and answer answers any are areas as at awesome
    awful bad be been being best better bit brilliant but by can candidate certainly chat
    conversation could definitely did didn't do does doesn't done effort enough even ever
    excellent experience extremely fairly fantastic feel felt fine for from gave generally
    genuinely get give good great had has have he her here him his honestly how i i'm i've
    impression impressive improve improvement in interview is isn't it it's job just keep kind
    level lot lots lovely me meeting meet more most much my nice no not nothing now of off ok
    okay on one or our outstanding overall perfect performance pleasure poor potential pretty
    quite rather really room round said say see seemed seems she should show showed shown skills
    so solid some something sorry strong stuff super superb talking terrible than thank thanks
    that the their them then there these they thing things think this those though time to
    today too truly unfortunately up us very was wasn't we we're weak well went were what when
    which who will with work would yes you you're your yours
    """
FILLER_WORDS: frozenset[str] = frozenset(_FILLER.split())

MESSAGE: str = '{label} ("{matched}"): {reason}'

LABELS: dict[str, str] = {
    "age": "Mentions age",
    "sex_or_gender": "Refers to sex or gender",
    "pregnancy_or_family": "Mentions pregnancy or family plans",
    "marital_status": "Mentions marital status",
    "race_or_ethnicity": "Refers to race or ethnicity",
    "national_origin": "Refers to national origin",
    "religion": "Mentions religion",
    "disability_or_health": "Mentions disability or health",
    "sexual_orientation": "Mentions sexual orientation",
    "vague": "Too vague to act on",
    "blame": "Reads as blame or sarcasm",
    "jargon": "Uses internal hiring jargon",
    "too_short": "Too short to help",
}

# For describe(): "line 2 <claim> ('...')".
CLAIMS: dict[str, str] = {
    "age": "mentions age",
    "sex_or_gender": "refers to sex or gender",
    "pregnancy_or_family": "mentions pregnancy or family plans",
    "marital_status": "mentions marital status",
    "race_or_ethnicity": "refers to race or ethnicity",
    "national_origin": "refers to national origin",
    "religion": "mentions religion",
    "disability_or_health": "mentions disability or health",
    "sexual_orientation": "mentions sexual orientation",
    "vague": "is too vague to act on",
    "blame": "reads as blame or sarcasm",
    "jargon": "uses internal hiring jargon",
    "too_short": "is too short to help",
}

REASONS: dict[str, str] = {
    "age": "the candidate's age must play no part in feedback.",
    "sex_or_gender": (
        "whether the candidate is a woman or a man must play no part in how their work is judged."
    ),
    "pregnancy_or_family": (
        "pregnancy, children and family plans must play no part in a hiring decision, and "
        "feedback must not suggest they did."
    ),
    "marital_status": (
        "whether the candidate is married, single or divorced is not part of the assessment."
    ),
    "race_or_ethnicity": "race, ethnicity and skin colour must never appear in feedback.",
    "national_origin": (
        "where someone comes from, their nationality or their accent is not a skill and must "
        "play no part in feedback."
    ),
    "religion": "belief and religious practice must play no part in feedback.",
    "disability_or_health": (
        "a disability or health condition must not count against a candidate, and feedback must "
        "not mention it."
    ),
    "sexual_orientation": "the candidate's sexual orientation has no place in feedback.",
    "vague": "the candidate cannot learn anything from a sense of fit or a feeling.",
    "blame": "the candidate will hear the tone, not the point, and it reflects on the company.",
    "jargon": (
        "the candidate won't know what it means, and internal levels and votes are not theirs "
        "to read."
    ),
    "too_short": "a line this brief gives the candidate nothing to work with.",
}

SUGGESTIONS: dict[str, str] = {
    "age": (
        "Describe what the candidate did in the interview: an answer, a piece of code, a "
        "decision they explained."
    ),
    "sex_or_gender": (
        'Describe the behaviour and its effect as you would for anyone, e.g. "you interrupted '
        "before the question was finished, so we didn't get to the scaling part\"."
    ),
    "pregnancy_or_family": (
        "Leave family out. If the role has fixed hours or travel, state that requirement and "
        "what the candidate said about it."
    ),
    "marital_status": (
        "Remove it and keep to what the candidate showed: their answers, their code, how they "
        "reasoned."
    ),
    "race_or_ethnicity": (
        "Remove it and describe only what the candidate said and did, measured against what "
        "the role needs."
    ),
    "national_origin": (
        'If communication matters for the role, point to a moment, e.g. "the rollback plan was '
        'hard to follow because two steps were skipped"; naming a language the role requires '
        "is fine."
    ),
    "religion": (
        "Remove it. If the schedule matters, state the requirement itself, not a reason "
        "someone might have for it."
    ),
    "disability_or_health": (
        "Describe the work: what the answer covered and what it missed. Adjustments for the "
        "interview are for the recruiter to arrange, not for feedback."
    ),
    "sexual_orientation": "Remove it and describe what the candidate did in the interview.",
    "vague": (
        "Name what is behind it: a requirement they missed or an answer that fell short, with "
        "one example."
    ),
    "blame": (
        'Say plainly what was missing and what would have helped, e.g. "the indexing question '
        'needed the trade-off between read and write speed".'
    ),
    "jargon": (
        "Say it in plain words about their work: what was strong, and what fell short of what "
        "the role needs."
    ),
    "too_short": (
        "Add one concrete point: what they did, what worked, and what would have made it stronger."
    ),
}
