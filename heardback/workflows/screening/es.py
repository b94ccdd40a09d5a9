"""Spanish: what screening looks for, and what it says about it.

Fragments follow the rules in ``en``. Spanish drops subject pronouns, so "es muy joven" could be
about a framework: such phrases list technical subjects as exceptions. Idioms that borrow a
trigger word are exceptions too: "poner el acento en" (to stress), "en el extranjero" (abroad),
"carga perezosa" (lazy loading); "nodos hijos" (child nodes) is why children are matched only in
family phrases. The English lists apply as well.
"""

from __future__ import annotations

_NAT = (
    r"(?:español|española|alemán|alemana|francés|francesa|inglés|inglesa|americano|americana|"
    r"estadounidense|indio|india|chino|china|japonés|japonesa|ruso|rusa|polaco|polaca|rumano|"
    r"rumana|árabe|africano|africana|marroquí|argelino|argelina|turco|turca|italiano|italiana|"
    r"portugués|portuguesa|latino|latina|sudamericano|sudamericana|latinoamericano|"
    r"latinoamericana|mexicano|mexicana|argentino|argentina|colombiano|colombiana|venezolano|"
    r"venezolana|peruano|peruana|chileno|chilena|cubano|cubana|ecuatoriano|ecuatoriana|"
    r"boliviano|boliviana|dominicano|dominicana|ucraniano|ucraniana|brasileño|brasileña|"
    r"asiático|asiática|europeo|europea|gallego|gallega|andaluz|andaluza|catalán|catalana|"
    r"vasco|vasca)"
)
_TECH_THING = (
    r"(?:versión|versiones|librería|biblioteca|release|paquete|dependencia|api|navegador|kernel|"
    r"runtime|framework|compilador|dato|datos|caché|cache|entrada|snapshot|build|imagen|doc|"
    r"documentación|código|enfoque|técnica|ejemplo|token|certificado|clave|índice|rama|commit|"
    r"copia|modelo|hardware|servidor|driver|firmware|estándar|proyecto|lenguaje|herramienta|"
    r"tecnología|ecosistema|comunidad|empresa|sistema|diseño|patrón|método|servicio|stack|"
    r"sintaxis|estilo|algoritmo|node|python|java|jdk|sdk)s?"
)

PATTERNS: dict[str, tuple[str, ...]] = {
    "age": (
        r"demasiado (?:mayor|viejo|vieja|viejos|viejas|joven|jóvenes)",
        r"(?:muy|ya es|ya) mayor(?! (?:que|parte|problema|importancia|riesgo|medida|cobertura|"
        r"detalle|claridad|rendimiento|eficiencia|impacto|número|valor|tamaño|prioridad))",
        r"(?:persona|señor|señora|hombre|mujer) mayor",
        r"(?:es|era|parece|parecía) (?:muy |demasiado |bastante |algo |un poco |)(?:joven|"
        r"jovencito|jovencita)",
        r"jovencit[oa]s?|chaval(?:a|es|as)?|chavalín",
        r"equipo (?:muy |bastante |)joven|joven equipo|joven y dinámic[oa]",
        r"nativ[oa]s? digital(?:es)?",
        r"(?:a|para|por|dada|con) su edad|su edad",
        r"sobrecualificad[oa] para su edad",
        r"(?:cerca|a punto) de (?:la )?jubila(?:ción|rse)|edad de jubilación",
        r"(?:tiene|con) \d{2} años(?! (?:de|en|como|trabajando|programando|haciendo|liderando))",
        r"\d{2} años de edad",
        r"cuarentón|cuarentona|cincuentón|cincuentona|sesentón|sesentona|treintañer[oa]",
        r"(?:los|sus) (?:treinta|cuarenta|cincuenta|sesenta)(?! (?:minutos|segundos|días|años de)"
        r")",
        r"boomers?|millennials?|generación z",
    ),
    "sex_or_gender": (
        r"como (?:mujer|hombre)",
        r"para (?:ser )?(?:una |un |)(?:mujer|chica|hombre)",
        r"chicas?|niñas?|muchachas?",
        r"típico de (?:mujer|mujeres|hombre|hombres|chicas?)",
        r"muy (?:femenina|masculina|maternal)|femenin[oa]s?|masculin[oa]s?|histérica",
        r"mandona",
        r"(?:chica|mujer|muchacha) (?:muy |)guapa",
        r"su (?:sexo|género)",
        r"transgénero|no binari[oa]|persona trans",
    ),
    "pregnancy_or_family": (
        r"embarazad[oa]s?|embarazo",
        r"(?:baja|permiso|licencia) (?:de|por) (?:maternidad|paternidad)",
        r"maternidad|paternidad",
        r"(?:quiere|planea|piensa|busca|va a) tener (?:hijos|un bebé|familia)|tener hijos",
        r"formar (?:una )?familia",
        r"(?:cuidado|cuidar) de (?:los |sus |)(?:hijos|niños)|guardería",
        r"(?:obligaciones|cargas|responsabilidades|compromisos) familiares",
        r"(?:hijos|niños) pequeños|(?:sus|tiene) niños",
        r"(?:un|su|el) bebé",
        r"(?:madre|padre|mamá|papá) de (?:dos|tres|cuatro|\d|niños)",
        r"(?:es|como|siendo) (?:madre|padre|mamá|papá)",
        r"su (?:hija|hijas|familia)",
    ),
    "marital_status": (
        r"(?:está|es|están|estaba|recién|felizmente|no está) casad[oa]s?",
        r"solter[oa]s?",
        r"divorciad[oa]s?|divorcio",
        r"su (?:marido|esposo|esposa|mujer|novio|novia|prometid[oa])",
        r"viud[oa]s?",
        r"(?:madre|padre) solter[oa]",
        r"estado civil",
        r"prometid[oa]",
        r"se casa|casarse|boda",
    ),
    "race_or_ethnicity": (
        r"razas?",
        r"étnic[oa]s?|etnias?|racial(?:es)?",
        r"color de (?:la )?piel",
        r"(?:hombre|mujer|chico|chica|tío|tía|persona|candidat[oa]) (?:negr[oa]|blanc[oa]|"
        r"moren[oa]|gitan[oa]|árabe|asiátic[oa]|indígena)",
        r"(?:persona|gente|hombre|mujer) de color",
        r"gitan[oa]s?|indígenas?|mulat[oa]s?|negratas?",
    ),
    "national_origin": (
        r"acento(?! (?:gráfico|ortográfico|agudo|grave|tónico|diacrítico))",
        r"extranjer[oa]s?",
        r"inmigrantes?|inmigración|migrantes?|refugiad[oa]s?|sin papeles",
        r"(?:hablante|parlante) nativ[oa]|(?:no es|no era) nativ[oa]",
        r"lengua materna|idioma materno",
        r"de d[oó]nde (?:es|viene|proviene)(?! (?:el|la|los|las|este|esta|ese|esa|esto|eso|un|"
        r"una|cada|dicho|dicha))",
        r"sus orígenes",
        r"origen (?:extranjero|latino|árabe|africano|asiático|gitano|étnico|marroquí|"
        r"sudamericano|latinoamericano)",
        r"país de origen|nacionalidad",
        r"sudacas?|panchit[oa]s?|moros?",
        rf"típic[oa] {_NAT}",
        rf"(?:él|ella) es {_NAT}",
        rf"(?:mentalidad|temperamento) {_NAT}",
        r"(?:nombre|apellido) (?:árabe|africano|extranjero|gitano)",
        rf"(?:(?:como|para ser) (?:un|una)|para ser) {_NAT}(?! (?:empresa|mercado|cliente|"
        r"equipo|sitio|usuario|público|teclado))",
    ),
    "religion": (
        r"religios[oa]s?|religión|religiones",
        r"(?:lleva|llevaba|con|usa) (?:el |un |)(?:velo|pañuelo)",
        r"hiyab|hijab|burka|burca|niqab|kipá|turbante",
        r"iglesias?|mezquitas?|sinagogas?",
        r"reza|rezar|rezando|rezaba|rezan",
        r"ramadán|sabbat|shabat|halal|cuaresma",
        r"musulm[aá]n(?:a|es|as)?|islam\w*|judí[oa]s?|judaísmo|católic[oa]s?|evangélic[oa]s?",
        r"protestantes?|hindú(?:es)?|budistas?|ate[oa]s?|creyentes?|testigo de jehová",
        r"(?:es|muy|un|una|como) cristian[oa]|cristian(?:os|as)",
    ),
    "disability_or_health": (
        r"discapacitad[oa]s?|discapacidad(?:es)?|minusválid[oa]s?|silla de ruedas",
        r"autistas?|autismo|asperger|tdah|dislexia|disléxic[oa]",
        r"depresión|deprimid[oa]",
        r"burn-?out|salud mental",
        r"trastornos? (?:mental(?:es)?|de ansiedad|bipolar|del espectro)",
        r"ataques? de (?:ansiedad|pánico)",
        r"bipolar|esquizofreni\w*",
        r"baja (?:médica|por enfermedad)|(?:está|estuvo|estaba|estará|sigue|lleva|estar) de baja",
        r"problemas de salud|su salud|estado de salud",
        r"enfermedad(?:es)?|enferm[oa]s?",
        r"tartamud\w*",
        r"(?:es|era|está) (?:sord[oa]|cieg[oa])|sordomud[oa]",
        r"sobrepeso|obes[oa]|obesidad",
        r"quimio\w*|diabetes|diabétic[oa]|epilep\w*|vih|seropositiv[oa]",
    ),
    "sexual_orientation": (
        r"lesbianas?|bisexual(?:es)?|homosexual(?:es)?|heterosexual(?:es)?",
        r"orientación sexual|sexualidad",
        r"maric[oó]n(?:es)?|maricas?|bolleras?",
        r"(?:salir|salió|ha salido) del armario",
    ),
    "vague": (
        r"no encaja (?:bien |del todo |)(?:en el equipo|con el equipo|con nosotros|en la "
        r"cultura|con la cultura|en la empresa|aquí|con la empresa)",
        r"encaje cultural|fit cultural|(?:buen|mal) fit|no (?:es |hay |)(?:un |)(?:buen |)fit",
        r"no (?:hubo|hay) (?:química|feeling|conexión|click|clic)",
        r"falta de (?:química|feeling|conexión)",
        r"corazonada",
        r"(?:mi|nuestra) intuición",
        r"mala espina|mal rollo|malas vibras|mala vibra|malas vibraciones",
        r"no (?:me |nos |)(?:dio|da) buena espina",
    ),
    "blame": (
        r"(?:nos |me |)(?:hizo|ha hecho) perder el tiempo|perdimos el tiempo|pérdida de tiempo",
        r"obviamente|evidentemente",
        r"claramente no",
        r"no tenía (?:ni |)(?:idea|la menor idea)|ni idea (?:de|sobre)|ni puta idea",
        r"(?:ninguna|ni la más mínima) idea",
        r"en qué (?:estaba|estabas|estaría) pensando",
        r"jaja\w*|jeje\w*|xd",
        r"en serio ?[?!]|de verdad ?\?",
        r"(?:todo un|menudo|qué|vaya|un auténtico) genio",
        r"perezos[oa]s?|(?:es|era) (?:un|una) vag[oa]",
        r"estúpid[oa]s?|tont[oa]s?|idiotas?|imbécil(?:es)?",
        r"incompetentes?|incompetencia|arrogantes?|arrogancia",
        r"(?:es|era) (?:un|una) inútil",
        r"ridícul[oa]s?|patétic[oa]s?|vergonzos[oa]s?",
        r"(?:hasta|incluso) un (?:becario|junior|estudiante|niño|principiante) (?:sabe|sabría|"
        r"podría|puede)",
    ),
    "jargon": (
        r"(?:en|tras|después de|antes de|pendiente de) (?:la )?calibración(?! (?:de|del))",
        r"(?:reunión|comité|sesión) de calibración",
        r"pipeline de (?:selección|candidatos|contratación)",
    ),
}

EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "age": (
        rf"{_TECH_THING} (?:\w+ )?(?:es|era|son|eran|parece|parecía|está|están) (?:muy |"
        r"demasiado |bastante |algo |un poco |)(?:joven|jóvenes|viej[oa]s?|mayor)",
    ),
    "marital_status": (
        r"casad[oa] con (?:la|su|una|esa|esta|el|un|ese|este) (?:idea|solución|tecnología|"
        r"herramienta|arquitectura|enfoque|diseño|framework|lenguaje)",
    ),
    "national_origin": (
        r"(?:campo|campos|columna|atributo|lista|selector|código) (?:de |)(?:la |)(?:"
        r"nacionalidad|país de origen)",
        r"(?:nacionalidad|país de origen) (?:como |en |)(?:campo|columna|atributo|código)",
        r"(?:pone|poner|puso|pusiste|ponía|ponen|pusieron|poniendo|puesto) (?:el |un |especial "
        r"|mucho |)acento",
        r"(?:en el|del|al|desde el|hacia el|para el) extranjero",
    ),
    "blame": (r"(?:carga|evaluación|inicialización|instanciación) perezosa",),
}

SOFT_VAGUE: tuple[str, ...] = (
    r"no es (?:exactamente |realmente |del todo |)lo que (?:buscamos|estamos buscando|"
    r"necesitamos)",
    r"no es (?:el |nuestro )perfil(?: que buscamos| adecuado|)",
    r"no (?:nos |me |)(?:convenció|convence|terminó de convencer)",
    r"no (?:está|estaba) (?:todavía |aún |)al nivel",
    r"(?:hemos decidido |decidimos |vamos a |hemos |)(?:seguir|avanzar|continuar) con otr[oa]s? "
    r"(?:candidat[oa]s?|"
    r"perfil(?:es)?|personas?)",
    r"falta de profundidad",
)

_FILLER = """
    a al algo bastante bien buen buena buenas bueno buenos con de del el en enhorabuena entrevista
    era es está estuvo excelente experiencia felicidades flojo floja fue fuerte general genial
    gracias gran ha habilidades han has hemos hoy impresión la las le les lo los mal mala malo
    más mejora mejorar menos muy nada nivel no o para pero perfecta perfecto poco por potencial
    pregunta preguntas respuesta respuestas se sí sin sólida sólido su suficiente sus también te
    todo trabajo tu un una unas unos usted y
    """
FILLER_WORDS: frozenset[str] = frozenset(_FILLER.split())

MESSAGE: str = "{label} («{matched}»): {reason}"

LABELS: dict[str, str] = {
    "age": "Menciona la edad",
    "sex_or_gender": "Hace referencia al sexo o al género",
    "pregnancy_or_family": "Menciona un embarazo o planes familiares",
    "marital_status": "Menciona el estado civil",
    "race_or_ethnicity": "Hace referencia a la raza o al origen étnico",
    "national_origin": "Hace referencia al origen nacional",
    "religion": "Menciona la religión",
    "disability_or_health": "Menciona una discapacidad o la salud",
    "sexual_orientation": "Menciona la orientación sexual",
    "vague": "Demasiado vago para servir de algo",
    "blame": "Suena a reproche o a sarcasmo",
    "jargon": "Usa jerga interna de selección",
    "too_short": "Demasiado breve para ayudar",
}

REASONS: dict[str, str] = {
    "age": "la edad de la persona no debe influir en ningún comentario.",
    "sex_or_gender": "que sea mujer u hombre no debe influir en cómo se valora su trabajo.",
    "pregnancy_or_family": (
        "un embarazo, los hijos o los planes familiares no deben influir en una decisión de "
        "contratación, y el comentario no debe dar a entender que lo hicieron."
    ),
    "marital_status": "estar casado, soltero o divorciado no forma parte de la evaluación.",
    "race_or_ethnicity": (
        "la raza, el origen étnico y el color de piel nunca deben aparecer en un comentario."
    ),
    "national_origin": (
        "el origen, la nacionalidad o el acento no son una competencia y no deben influir en un "
        "comentario."
    ),
    "religion": "las creencias y la práctica religiosa no deben influir en un comentario.",
    "disability_or_health": (
        "una discapacidad o un problema de salud no debe perjudicar a nadie, y el comentario no "
        "debe mencionarlo."
    ),
    "sexual_orientation": "la orientación sexual no tiene cabida en un comentario.",
    "vague": "la persona no puede aprender nada de una sensación o de un «encaje».",
    "blame": (
        "la persona se quedará con el tono, no con el contenido, y eso dice mucho de la empresa."
    ),
    "jargon": (
        "la persona no sabrá qué significa, y los niveles y votos internos no son para ella."
    ),
    "too_short": "una línea tan breve no le da nada con lo que trabajar.",
}

SUGGESTIONS: dict[str, str] = {
    "age": (
        "Describa lo que la persona hizo en la entrevista: una respuesta, un fragmento de "
        "código, una decisión que explicó."
    ),
    "sex_or_gender": (
        "Describa el comportamiento y su efecto como lo haría con cualquier persona, por "
        "ejemplo: «interrumpió varias veces antes de que terminara la pregunta y no llegamos a "
        "la parte de escalabilidad»."
    ),
    "pregnancy_or_family": (
        "Deje fuera la familia. Si el puesto exige horarios fijos o viajes, indique ese "
        "requisito y lo que la persona dijo al respecto."
    ),
    "marital_status": (
        "Elimínelo y cíñase a lo que la persona demostró: sus respuestas, su código, su "
        "razonamiento."
    ),
    "race_or_ethnicity": (
        "Elimínelo y describa solo lo que la persona dijo e hizo, en relación con lo que pide "
        "el puesto."
    ),
    "national_origin": (
        "Si la comunicación es importante para el puesto, señale un momento concreto, por "
        "ejemplo: «el plan de marcha atrás costaba seguirlo porque faltaban dos pasos». Puede "
        "mencionar los idiomas que exige el puesto."
    ),
    "religion": (
        "Elimínelo. Si el horario importa, indique el requisito en sí, no un motivo que alguien "
        "pudiera tener."
    ),
    "disability_or_health": (
        "Describa el trabajo: qué cubrió la respuesta y qué faltó. Las adaptaciones para la "
        "entrevista las gestiona el equipo de selección; no forman parte del comentario."
    ),
    "sexual_orientation": "Elimínelo y describa lo que la persona hizo en la entrevista.",
    "vague": (
        "Diga qué hay detrás: un requisito que no cumplió o una respuesta que se quedó corta, "
        "con un ejemplo."
    ),
    "blame": (
        "Diga con claridad qué faltó y qué habría ayudado, por ejemplo: «en la pregunta sobre "
        "índices faltó el equilibrio entre velocidad de lectura y de escritura»."
    ),
    "jargon": (
        "Dígalo con palabras claras sobre su trabajo: qué fue sólido y qué se quedó por debajo "
        "de lo que pide el puesto."
    ),
    "too_short": (
        "Añada un punto concreto: qué hizo la persona, qué funcionó y qué lo habría hecho más "
        "sólido."
    ),
}
