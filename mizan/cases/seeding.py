"""A realistic data set for the benchmarks (`manage.py bench_seed`), inserted in bulk.

Cases of every procedure, in the shares of PROCEDURE_MIX, are filed over two years (more
in recent months) in Arabic, French or English, with the `details` their filing form
stores, and routed by the procedure's own router: complaints over communes and
grievances over regions in proportion to their population, bail requests to the
prosecution office of the court that holds the case, pardon requests to the pardon
secretariat, questions to the institution's answering desk. Each case then walks its
workflow at the pace of each state's target (some late, some stalled, ~3 % withdrawn),
leaving the events, SMS, documents and audit entries the services would leave.

Rows are built and inserted a batch at a time, so memory stays flat whatever the size.
"""

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation

from mizan.accounts.models import Unit
from mizan.core import references
from mizan.core.audit import citizen_label
from mizan.core.models import AuditChainHead, AuditEntry
from mizan.deadlines.calendar import MOROCCO_TZ
from mizan.deadlines.expected import EID_AL_ADHA, EID_AL_FITR, EXPECTED_RELIGIOUS_HOLIDAYS
from mizan.deadlines.selectors import HolidayCalendar, target_days_for
from mizan.documents.models import Attachment, ScanStatus, attachment_path
from mizan.notifications.encoding import sms_cost, sms_shape
from mizan.notifications.models import Notification
from mizan.notifications.routing import provider_configs
from mizan.notifications.services import client_reference_for, message_render, tracking_link
from mizan.procedures.grievance import DEFAULT_ANSWER_DAYS
from mizan.procedures.models import CommissionSession
from mizan.procedures.question import ANSWERING_UNITS
from mizan.procedures.registry import PROCEDURES
from mizan.procedures.workflow import CITIZEN, Step
from mizan.reference.models import Commune, Court, Prison, Region

from .models import Case, CaseEvent, ReferenceCounter
from .search import normalise, search_text_for
from .services import _amount, _due_at, access_code_hash

# Every seeded case opens with this access code (benchmarks track cases with it).
BENCH_ACCESS_CODE = "BENCH234"

# Share of each procedure among the seeded cases. Complaints are most of the traffic
# (the prosecution offices register ~480,000 a year, reference/data/sizing_figures.csv);
# the Mediator gets ~8,000 files a year on paper, but grievances and questions are what
# an online service multiplies; pardon requests are mostly filed by families, in waves
# before the commission's sessions; bail is mostly asked for at the hearing, by a
# lawyer, so few requests come online.
PROCEDURE_MIX = {
    "complaint": 0.70,
    "grievance": 0.12,
    "question": 0.10,
    "pardon": 0.05,
    "bail": 0.03,
}
# Share of cases the citizen withdraws (the "withdraw" step): rare in practice.
WITHDRAW_SHARE = 0.03
# At each step, the share of cases that stay where they are (an office's backlog), and
# of citizens who never answer a request for information.
STALL_SHARE = 0.02
SILENT_CITIZEN_SHARE = 0.15
# A case takes at most this many steps (loops of requests for information end).
MAX_STEPS = 16
# Working days are ~0.7 of calendar days once weekends and holidays are out.
CALENDAR_DAYS_PER_WORKING_DAY = 1.45
# Pace of a state without a target of its own, in working days.
DEFAULT_TARGET_DAYS = 10
# Share of SMS the operator finally refuses (number out of service...).
SMS_FAILURE_SHARE = 0.03
SMS_FAILURE_REASON = "unknown subscriber"

LANGUAGES = (("ar", 0.6), ("fr", 0.3), ("en", 0.1))
FILING_CHANNELS = (("web", 0.85), ("app", 0.15))
# Where Moroccans abroad who file live, with their mobile prefix.
ABROAD = (("FR", "+336"), ("ES", "+346"), ("IT", "+393"), ("BE", "+324"), ("NL", "+316"))

# How often each step is taken when it is one of several possible (1 when unlisted);
# "state>step" narrows a weight to one state, 0 never takes it. Chosen so that outcomes
# look like the published ones: most complaints filed without action or prosecuted,
# most pardon requests refused, a quarter of the Mediator's files redirected.
STEP_WEIGHTS = {
    "complaint": {
        # The seed creates no staff: a reassignment would name nobody.
        "assigned>assign": 0,
        "request_information": 0.5,
        "refer_investigation": 0.9,
        "decide_prosecution": 1.2,
        "decide_no_action": 1.6,
        "decide_transfer": 0.25,
        # The prosecutor may decide without the answer; most citizens do answer.
        "info_requested>provide_information": 6,
    },
    "pardon": {
        "request_information": 0.4,
        "declare_inadmissible": 0.4,
        "declare_admissible": 2,
        # Postponed to the next session.
        "before_commission>schedule_commission": 0.3,
        "decide_rejected": 3,
        "decide_granted_partial": 1,
        "decide_granted_full": 0.6,
        "decide_commuted": 0.4,
    },
    "bail": {
        "request_information": 0.4,
        "decide_granted": 1,
        "decide_refused": 1.3,
        "reject_deposit": 0.15,
    },
    "grievance": {
        "request_information": 0.6,
        # Only where a body on Mizan is competent (GRIEVANCES), and then often.
        "propose_handover": 1.5,
        "redirect_outside": 1,
        "declare_inadmissible": 0.6,
        "declare_admissible": 2,
        "accept_handover": 3,
        # The citizen never said yes or no.
        "handover_proposed>close": 0.3,
        "record_answer": 2,
        "with_administration>recommend": 0.4,
        "with_administration>settle": 0.4,
    },
    "question": {"forward": 0.2, "request_information": 0.3, "answer": 3},
}

# --- what citizens write -------------------------------------------------------------

# First names by script, men then women (the same names, in the same order).
FIRST_NAMES = {
    "latin": (
        ("Mohamed", "Ahmed", "Youssef", "Hicham", "Rachid", "Karim", "Omar", "Abdelali",
         "Said", "Mustapha"),
        ("Fatima", "Khadija", "Amina", "Salma", "Nadia", "Zineb", "Meryem", "Hajar",
         "Imane", "Laila"),
    ),
    "arabic": (
        ("محمد", "أحمد", "يوسف", "هشام", "رشيد", "كريم", "عمر", "عبد العالي", "سعيد", "مصطفى"),
        ("فاطمة", "خديجة", "أمينة", "سلمى", "نادية", "زينب", "مريم", "هاجر", "إيمان", "ليلى"),
    ),
}  # fmt: skip
LAST_NAMES = {
    "latin": (
        "Alaoui", "Bennani", "El Idrissi", "Tazi", "Berrada", "Amrani", "Ouazzani",
        "Chraibi", "El Fassi", "Benjelloun", "Lahlou", "Naciri", "Bouzid", "Kettani",
        "Zahraoui", "Haddad", "Belkadi", "Ait Taleb", "Ouali", "Sebti",
    ),
    "arabic": (
        "العلوي", "بناني", "الإدريسي", "التازي", "برادة", "العمراني", "الوزاني", "الشرايبي",
        "الفاسي", "بنجلون", "لحلو", "الناصري", "بوزيد", "الكتاني", "الزهراوي", "الحداد",
        "بلقاضي", "آيت الطالب", "الوالي", "السبتي",
    ),
}  # fmt: skip
CIN_PREFIXES = ("A", "AB", "B", "BE", "BH", "BJ", "BK", "C", "CD", "D", "EE", "F", "G", "J")

# Complaint categories with their share and what a complainant writes.
COMPLAINT_FACTS = {
    "theft": (0.24, {
        "ar": "سُرق هاتفي المحمول في محطة الحافلات يوم السبت مساءً، ورأيت شخصين يفران.",
        "fr": "Mon téléphone a été volé à la gare routière samedi soir ; deux hommes ont fui.",
        "en": "My phone was stolen at the bus station on Saturday evening; two men ran off.",
    }),
    "fraud": (0.16, {
        "ar": "دفعتُ تسبيقاً قدره 20 ألف درهم لشراء شقة لم تُسلَّم لي أبداً، والبائع لا يجيب.",
        "fr": "J'ai versé une avance de 20 000 dirhams pour un appartement jamais livré ; "
        "le vendeur ne répond plus.",
        "en": "I paid a 20,000 dirham deposit for a flat that was never handed over; the "
        "seller no longer answers.",
    }),
    "violence": (0.14, {
        "ar": "تعرضتُ للضرب أمام مقهى في الحي من طرف جاري، ولدي شهادة طبية بعجز 21 يوماً.",
        "fr": "Mon voisin m'a frappé devant un café du quartier ; j'ai un certificat médical "
        "de 21 jours d'incapacité.",
        "en": "My neighbour beat me outside a café in our street; I have a medical "
        "certificate for 21 days of incapacity.",
    }),
    "threats": (0.09, {
        "ar": "يتلقى ابني تهديدات بالقتل عبر الهاتف منذ شهر من رقم مجهول.",
        "fr": "Mon fils reçoit depuis un mois des menaces de mort par téléphone, d'un numéro "
        "inconnu.",
        "en": "For a month my son has been getting death threats by phone from an unknown "
        "number.",
    }),
    "cheque": (0.09, {
        "ar": "سلّمني زبون شيكاً بمبلغ 35 ألف درهم رجع من البنك لانعدام الرصيد.",
        "fr": "Un client m'a remis un chèque de 35 000 dirhams revenu impayé faute de "
        "provision.",
        "en": "A customer gave me a 35,000 dirham cheque that bounced for lack of funds.",
    }),
    "defamation": (0.06, {
        "ar": "ينشر شخص على فيسبوك منشورات يتهمني فيها بالسرقة أمام سكان الحي.",
        "fr": "Une personne publie sur Facebook des messages m'accusant de vol devant tout le "
        "quartier.",
        "en": "Someone keeps posting on Facebook that I am a thief, for the whole street to "
        "see.",
    }),
    "cybercrime": (0.08, {
        "ar": "تمت قرصنة حسابي على واتساب وطلب المقرصن أموالاً من أقاربي باسمي.",
        "fr": "Mon compte WhatsApp a été piraté et le pirate a demandé de l'argent à mes "
        "proches en mon nom.",
        "en": "My WhatsApp account was hacked and the hacker asked my relatives for money in "
        "my name.",
    }),
    "family": (0.05, {
        "ar": "طليقي لا يؤدي النفقة المحكوم بها لأطفالنا الثلاثة منذ ستة أشهر.",
        "fr": "Mon ex-mari ne verse plus depuis six mois la pension alimentaire fixée par le "
        "jugement pour nos trois enfants.",
        "en": "My ex-husband has not paid the court-ordered maintenance for our three "
        "children for six months.",
    }),
    "property": (0.05, {
        "ar": "هدم جاري جزءاً من سور أرضي الفلاحية واستولى على الممر.",
        "fr": "Un voisin a démoli une partie du mur de mon terrain agricole et s'est "
        "approprié le passage.",
        "en": "A neighbour knocked down part of the wall of my farmland and took over the "
        "path.",
    }),
}  # fmt: skip
# Categories where the complainant usually knows who they complain about.
KNOWN_ACCUSED = {"fraud", "violence", "cheque", "defamation", "family", "property"}

PARDON_GROUNDS_TEXT = {
    "health": {
        "ar": "يعاني من مرض مزمن في القلب ويحتاج إلى عملية لا تتوفر في المؤسسة السجنية.",
        "fr": "Il souffre d'une maladie cardiaque chronique et doit être opéré, ce que la "
        "prison ne peut assurer.",
        "en": "He has a chronic heart condition and needs an operation the prison cannot provide.",
    },
    "family": {
        "ar": "زوجته مريضة وأطفاله الأربعة بدون معيل منذ اعتقاله.",
        "fr": "Son épouse est malade et leurs quatre enfants sont sans ressources depuis son "
        "incarcération.",
        "en": "His wife is ill and their four children have had no income since he was imprisoned.",
    },
    "conduct": {
        "ar": "أبان عن حسن السيرة طيلة مدة اعتقاله وحصل على دبلوم في التكوين المهني.",
        "fr": "Il a eu une bonne conduite pendant toute sa détention et a obtenu un diplôme "
        "de formation professionnelle.",
        "en": "He has behaved well throughout his detention and earned a vocational diploma.",
    },
    "other": {
        "ar": "قضى أكثر من ثلثي العقوبة ويعبر عن ندمه الصادق.",
        "fr": "Il a purgé plus des deux tiers de sa peine et regrette sincèrement ses actes.",
        "en": "He has served more than two thirds of his sentence and sincerely regrets his acts.",
    },
}
SENTENCES = {
    "ar": (
        "خمس سنوات حبساً نافذاً وغرامة قدرها 10.000 درهم",
        "سنتان حبساً نافذاً",
        "عشر سنوات سجناً نافذاً",
        "ثمانية أشهر حبساً نافذاً وغرامة قدرها 5.000 درهم",
    ),
    "fr": (
        "5 ans d'emprisonnement ferme et 10 000 dirhams d'amende",
        "2 ans d'emprisonnement ferme",
        "10 ans de réclusion",
        "8 mois d'emprisonnement ferme et 5 000 dirhams d'amende",
    ),
    "en": (
        "5 years of imprisonment and a fine of 10,000 dirhams",
        "2 years of imprisonment",
        "10 years of imprisonment",
        "8 months of imprisonment and a fine of 5,000 dirhams",
    ),
}
BAIL_GROUNDS = {
    "ar": (
        "له عنوان قار وعمل مستقر وثلاثة أطفال يعيلهم، ويلتزم بالحضور في جميع الجلسات.",
        "هذه أول مرة يُعتقل فيها، وهو طالب ويجتاز امتحاناته الشهر المقبل.",
    ),
    "fr": (
        "Il a une adresse fixe, un emploi stable et trois enfants à charge ; il se "
        "présentera à toutes les audiences.",
        "C'est sa première arrestation ; il est étudiant et passe ses examens le mois prochain.",
    ),
    "en": (
        "He has a fixed address, a steady job and three children to support; he will "
        "attend every hearing.",
        "It is his first arrest; he is a student and sits his exams next month.",
    ),
}
SURETIES = {
    "ar": ("أخوه، تاجر بالمدينة", "مشغّله، صاحب ورشة للنجارة"),
    "fr": ("Son frère, commerçant en ville", "Son employeur, patron d'une menuiserie"),
    "en": ("His brother, a shopkeeper in town", "His employer, who owns a joinery"),
}
BAIL_CONDITIONS = {
    "ar": "المنع من مغادرة التراب الوطني والتوقيع أسبوعياً بمركز الشرطة.",
    "fr": "Interdiction de quitter le territoire ; signature chaque semaine au commissariat.",
    "en": "Not to leave the country; report weekly to the police station.",
}
# Grievances: the administration, what was asked of it, what happened, by language;
# the kind of body on Mizan it may be handed over to (None: none is competent), and the
# body outside Mizan it may be redirected to.
GRIEVANCES = (
    {
        "handover": None,
        "outside": {
            "ar": "المحكمة الابتدائية، قسم قضاء الأسرة",
            "fr": "Tribunal de première instance, section de la famille",
            "en": "Court of first instance, family section",
        },
        "ar": (
            "الجماعة، مكتب الحالة المدنية",
            "نسخة كاملة من رسم ولادتي.",
            "طلبتُ ثلاث مرات منذ شهر غشت نسخة من رسم ولادتي، ويُقال لي إن السجل مفقود.",
        ),
        "fr": (
            "Commune, bureau de l'état civil",
            "Une copie intégrale de mon acte de naissance.",
            "J'ai demandé trois fois depuis août une copie de mon acte de naissance ; on me "
            "répond que le registre est introuvable.",
        ),
        "en": (
            "Commune, civil status office",
            "A full copy of my birth certificate.",
            "I have asked three times since August for a copy of my birth certificate; I am told "
            "the register cannot be found.",
        ),
    },
    {
        "handover": None,
        "outside": {
            "ar": "الصندوق الوطني للضمان الاجتماعي، الوسيط الداخلي",
            "fr": "Caisse nationale de sécurité sociale (CNSS), médiateur interne",
            "en": "National Social Security Fund (CNSS), internal mediator",
        },
        "ar": (
            "الصندوق الوطني للضمان الاجتماعي، الوكالة الجهوية",
            "تصفية معاش التقاعد.",
            "أودعتُ ملف التقاعد منذ ثمانية أشهر ولم يُعالج بعد، ولا جواب على مراسلاتي.",
        ),
        "fr": (
            "Caisse nationale de sécurité sociale (CNSS), agence régionale",
            "La liquidation de ma pension de retraite.",
            "J'ai déposé mon dossier de retraite il y a huit mois ; il n'est toujours pas traité "
            "et mes courriers restent sans réponse.",
        ),
        "en": (
            "National Social Security Fund (CNSS), regional agency",
            "Payment of my retirement pension.",
            "I filed my pension claim eight months ago; it is still not processed and my letters "
            "go unanswered.",
        ),
    },
    {
        "handover": None,
        "outside": {
            "ar": "المحكمة الإدارية بالرباط",
            "fr": "Tribunal administratif de Rabat",
            "en": "Administrative court of Rabat",
        },
        "ar": (
            "الوكالة الوطنية للمحافظة العقارية، المحافظة الجهوية",
            "تقييد الإراثة في الرسم العقاري لأرض والدي.",
            "ترفض المحافظة تقييد الإراثة دون تعليل كتابي رغم أننا أدلينا بجميع الوثائق.",
        ),
        "fr": (
            "Agence nationale de la conservation foncière, conservation régionale",
            "L'inscription de notre héritage sur le titre foncier du terrain de mon père.",
            "La conservation refuse d'inscrire l'héritage sans motif écrit, alors que tous les "
            "documents ont été fournis.",
        ),
        "en": (
            "Land Registry Agency, regional office",
            "Registration of our inheritance on the title deed of my father's land.",
            "The registry refuses to record the inheritance without a written reason, though "
            "every document was provided.",
        ),
    },
    {
        "handover": None,
        "outside": {
            "ar": "المحكمة الإدارية بالرباط",
            "fr": "Tribunal administratif de Rabat",
            "en": "Administrative court of Rabat",
        },
        "ar": (
            "الجماعة، قسم التعمير",
            "رخصة بناء لمنزل عائلي.",
            "طلب رخصة البناء متوقف منذ سنة رغم الرأي الإيجابي للوكالة الحضرية.",
        ),
        "fr": (
            "Commune, service de l'urbanisme",
            "Un permis de construire pour une maison familiale.",
            "Ma demande de permis de construire est bloquée depuis un an malgré l'avis favorable "
            "de l'agence urbaine.",
        ),
        "en": (
            "Commune, town planning department",
            "A building permit for a family house.",
            "My building permit has been stuck for a year although the urban agency gave a "
            "favourable opinion.",
        ),
    },
    {
        "handover": None,
        "outside": {
            "ar": "اللجنة الوطنية للنظر في الطعون الضريبية",
            "fr": "Commission nationale du recours fiscal",
            "en": "National tax appeals commission",
        },
        "ar": (
            "المديرية العامة للضرائب، المديرية الجهوية",
            "استرجاع ضريبة اقتُطعت مرتين.",
            "اقتطعت إدارة الضرائب نفس الضريبة مرتين وترفض إرجاع المبلغ رغم شكاياتي.",
        ),
        "fr": (
            "Direction générale des impôts, direction régionale",
            "Le remboursement d'un impôt prélevé deux fois.",
            "Les impôts ont prélevé deux fois la même taxe et refusent de me rembourser malgré "
            "mes réclamations.",
        ),
        "en": (
            "Tax Directorate, regional office",
            "A refund of a tax taken twice.",
            "The tax office took the same tax twice and refuses to pay it back despite my "
            "complaints.",
        ),
    },
    {
        "handover": "prosecution",
        "outside": {
            "ar": "الهيئة الوطنية للنزاهة والوقاية من الرشوة ومحاربتها",
            "fr": "Instance nationale de la probité (INPPLC)",
            "en": "National Integrity Authority (INPPLC)",
        },
        "ar": (
            "الجماعة، شباك الرخص",
            "شهادة إدارية لفتح محل تجاري.",
            "طلب مني موظف بالشباك ألفي درهم لتسليمي الشهادة، وأوقف ملفي لما رفضتُ.",
        ),
        "fr": (
            "Commune, guichet des autorisations",
            "Une attestation administrative pour ouvrir un commerce.",
            "Un agent du guichet m'a demandé 2 000 dirhams pour me délivrer l'attestation et a "
            "bloqué mon dossier quand j'ai refusé.",
        ),
        "en": (
            "Commune, permits desk",
            "An administrative certificate to open a shop.",
            "A clerk at the desk asked me for 2,000 dirhams to issue the certificate and blocked "
            "my file when I refused.",
        ),
    },
    {
        "handover": "MRE",
        "outside": {
            "ar": "القنصلية العامة للمملكة بباريس",
            "fr": "Consulat général du Royaume à Paris",
            "en": "Consulate General of Morocco in Paris",
        },
        "ar": (
            "القنصلية العامة للمملكة بباريس",
            "تجديد جواز سفري.",
            "أودعتُ طلب تجديد جواز السفر منذ خمسة أشهر ولم أتوصل به، ولا أحد يجيب على الهاتف.",
        ),
        "fr": (
            "Consulat général du Royaume à Paris",
            "Le renouvellement de mon passeport.",
            "J'ai demandé le renouvellement de mon passeport il y a cinq mois ; je ne l'ai pas "
            "reçu et personne ne répond au téléphone.",
        ),
        "en": (
            "Consulate General of Morocco in Paris",
            "Renewal of my passport.",
            "I applied to renew my passport five months ago; I have not received it and nobody "
            "answers the phone.",
        ),
    },
    {
        "handover": "CSPJ",
        "outside": {
            "ar": "رئيس المحكمة المعنية",
            "fr": "Président du tribunal concerné",
            "en": "President of the court concerned",
        },
        "ar": (
            "المحكمة الابتدائية، كتابة الضبط",
            "تحديد تاريخ جلسة في قضية النفقة.",
            "أُجّلت جلسة قضية النفقة عشر مرات منذ سنتين دون سبب واضح، وأطفالي بدون نفقة.",
        ),
        "fr": (
            "Tribunal de première instance, greffe",
            "Une date d'audience dans mon affaire de pension alimentaire.",
            "L'audience de mon affaire de pension a été reportée dix fois en deux ans sans raison"
            " claire ; mes enfants n'ont rien.",
        ),
        "en": (
            "Court of first instance, registry",
            "A hearing date in my maintenance case.",
            "The hearing of my maintenance case has been postponed ten times in two years for no "
            "clear reason; my children get nothing.",
        ),
    },
)
# Which scenario a filing is, from the administration it names.
GRIEVANCE_OF_ADMINISTRATION = {
    scenario[language][0]: index
    for index, scenario in enumerate(GRIEVANCES)
    for language in ("ar", "fr", "en")
}
ADMINISTRATION_ANSWER_SHARES = (
    ("none", 0.5),
    ("refused", 0.2),
    ("partial", 0.1),
    ("unsatisfactory", 0.2),
)
# Questions by institution: (share, {language: (subject, question, answer)}).
QUESTIONS = {
    "PMP": (0.3, {
        "ar": (
            "تتبع شكاية",
            "وضعتُ شكاية لدى النيابة العامة منذ ثلاثة أشهر، كيف أعرف مآلها؟",
            "يمكنكم تتبع شكايتكم بمرجعها على هذه المنصة أو لدى مكتب الشكايات بالنيابة العامة.",
        ),
        "fr": (
            "Suivi d'une plainte",
            "J'ai déposé une plainte au parquet il y a trois mois : comment savoir où elle "
            "en est ?",
            "Suivez votre plainte avec sa référence sur cette plateforme, ou au bureau des "
            "plaintes du parquet.",
        ),
        "en": (
            "Following a complaint",
            "I filed a complaint with the prosecutor three months ago: how do I find out "
            "where it stands?",
            "Follow it with its reference on this platform, or at the prosecution office's "
            "complaints desk.",
        ),
    }),
    "MJ": (0.3, {
        "ar": (
            "نسخة من حكم",
            "كيف أحصل على نسخة مصادق عليها من حكم وأنا مقيم بالخارج؟",
            "اطلبوها من كتابة الضبط بالمحكمة عبر البريد أو عن طريق القنصلية.",
        ),
        "fr": (
            "Copie d'un jugement",
            "Comment obtenir une copie certifiée d'un jugement quand on vit à l'étranger ?",
            "Demandez-la au greffe du tribunal, par courrier ou par l'intermédiaire du "
            "consulat.",
        ),
        "en": (
            "Copy of a judgment",
            "How do I get a certified copy of a judgment when I live abroad?",
            "Ask the court's registry by post or through the consulate.",
        ),
    }),
    "CSPJ": (0.1, {
        "ar": (
            "طول مدة البت",
            "قضيتي المدنية رائجة منذ أربع سنوات، لمن أشتكي من هذا التأخير؟",
            "يمكنكم توجيه شكاية إلى المجلس الأعلى للسلطة القضائية مع مراجع الملف.",
        ),
        "fr": (
            "Durée d'une procédure",
            "Mon affaire civile est en cours depuis quatre ans : à qui signaler ce retard ?",
            "Vous pouvez adresser une plainte au Conseil supérieur du pouvoir judiciaire, "
            "avec les références du dossier.",
        ),
        "en": (
            "Length of a case",
            "My civil case has been going on for four years: whom do I tell about the "
            "delay?",
            "You can complain to the Superior Council of the Judicial Power, with the case "
            "numbers.",
        ),
    }),
    "MED": (0.15, {
        "ar": (
            "اختصاص الوسيط",
            "هل يمكن للوسيط التدخل في نزاع مع بنك خاص؟",
            "لا، الوسيط مختص في النزاعات مع الإدارات العمومية؛ توجهوا إلى الوسيط البنكي.",
        ),
        "fr": (
            "Compétence du Médiateur",
            "Le Médiateur peut-il intervenir dans un litige avec une banque privée ?",
            "Non : le Médiateur traite les litiges avec l'administration ; adressez-vous au "
            "médiateur bancaire.",
        ),
        "en": (
            "What the Mediator handles",
            "Can the Mediator step in in a dispute with a private bank?",
            "No: the Mediator handles disputes with public administrations; turn to the "
            "banking mediator.",
        ),
    }),
    "MRE": (0.15, {
        "ar": (
            "وكالة من الخارج",
            "كيف أصادق على وكالة بالقنصلية لبيع عقار بالمغرب؟",
            "تُحرَّر الوكالة وتُصادَق بالقنصلية بحضوركم مع بطاقتكم الوطنية ورسم العقار.",
        ),
        "fr": (
            "Procuration depuis l'étranger",
            "Comment faire légaliser une procuration au consulat pour vendre un bien au "
            "Maroc ?",
            "La procuration est établie et légalisée au consulat, en votre présence, avec "
            "votre CIN et le titre du bien.",
        ),
        "en": (
            "Power of attorney from abroad",
            "How do I have a power of attorney certified at the consulate to sell a "
            "property in Morocco?",
            "It is drawn up and certified at the consulate, in person, with your ID card "
            "and the title deed.",
        ),
    }),
}  # fmt: skip
# What staff (and citizens) write at the steps that take a message, by language.
MESSAGES = {
    ("complaint", "request_information"): {
        "ar": "المرجو تحديد ساعة وقوع الأفعال ومكانها بدقة.",
        "fr": "Merci de préciser l'heure et le lieu exact des faits.",
        "en": "Please state the time and the exact place of the facts.",
    },
    ("complaint", "decide_no_action"): {
        "ar": "الحفظ: تعذر تحديد هوية الفاعل.",
        "fr": "Classement sans suite : l'auteur des faits n'a pas pu être identifié.",
        "en": "Filed without action: the offender could not be identified.",
    },
    ("pardon", "request_information"): {
        "ar": "المرجو الإدلاء بنسخة من الحكم النهائي.",
        "fr": "Merci de joindre une copie du jugement définitif.",
        "en": "Please send a copy of the final judgment.",
    },
    ("pardon", "declare_inadmissible"): {
        "ar": "غير مقبول: الحكم لم يصبح نهائياً بعد (الاستئناف جارٍ).",
        "fr": "Irrecevable : le jugement n'est pas encore définitif (appel en cours).",
        "en": "Inadmissible: the judgment is not final yet (an appeal is pending).",
    },
    ("pardon", "decide_granted_partial"): {
        "ar": "عفو جزئي: تخفيض العقوبة بسنتين.",
        "fr": "Grâce partielle : la peine est réduite de deux ans.",
        "en": "Partial pardon: the sentence is reduced by two years.",
    },
    ("pardon", "decide_commuted"): {
        "ar": "تحويل العقوبة الحبسية إلى غرامة قدرها 20.000 درهم.",
        "fr": "La peine de prison est commuée en une amende de 20 000 dirhams.",
        "en": "The prison sentence is commuted into a fine of 20,000 dirhams.",
    },
    ("bail", "request_information"): {
        "ar": "المرجو الإدلاء بشهادة السكنى وشهادة العمل.",
        "fr": "Merci de joindre un justificatif de domicile et une attestation de travail.",
        "en": "Please send proof of address and a certificate of employment.",
    },
    ("bail", "decide_refused"): {
        "ar": "الرفض: خطورة الأفعال وخطر الفرار.",
        "fr": "Refus : gravité des faits et risque de fuite.",
        "en": "Refused: the seriousness of the facts and the risk of flight.",
    },
    ("bail", "reject_deposit"): {
        "ar": "الوصل غير واضح: المرجو إرسال نسخة واضحة من وصل صندوق المحكمة.",
        "fr": "Le reçu est illisible : merci d'envoyer une copie nette du reçu de la caisse.",
        "en": "The receipt cannot be read: please send a clear copy of the cashier's receipt.",
    },
    ("grievance", "request_information"): {
        "ar": "المرجو الإدلاء بنسخة من الطلب الذي وجهتموه إلى الإدارة.",
        "fr": "Merci de joindre la copie de votre demande adressée à l'administration.",
        "en": "Please send a copy of the request you made to the administration.",
    },
    ("grievance", "answer_handover"): {
        "ar": "المرجو الحضور إلى المكتب يوم الإثنين مع بطاقتكم الوطنية.",
        "fr": "Merci de vous présenter au bureau lundi matin avec votre CIN.",
        "en": "Please come to the office on Monday morning with your ID card.",
    },
    ("grievance", "redirect_outside"): {
        "ar": "هذا النزاع من اختصاص الهيئة المذكورة، ولها مسطرة شكايات خاصة بها.",
        "fr": "Ce litige relève de l'organisme indiqué, qui a sa propre procédure de réclamation.",
        "en": "This dispute is for the body named, which has its own complaints procedure.",
    },
    ("grievance", "declare_inadmissible"): {
        "ar": "غير مقبولة: لم تراسلوا الإدارة المعنية أولاً.",
        "fr": "Irrecevable : l'administration concernée n'a pas d'abord été saisie.",
        "en": "Inadmissible: the administration concerned was not asked first.",
    },
    ("grievance", "recommend"): {
        "ar": "أوصى الوسيط الإدارة بمعالجة ملفكم داخل أجل شهر.",
        "fr": "Le Médiateur recommande à l'administration de traiter votre dossier sous un mois.",
        "en": "The Mediator recommends that the administration settle your file within a month.",
    },
    ("grievance", "settle"): {
        "ar": "قبلت الإدارة تسوية وضعيتكم، وستُسلَّم لكم الوثيقة.",
        "fr": "L'administration a accepté de régulariser votre situation ; le document vous "
        "sera remis.",
        "en": "The administration agreed to put things right; you will be given the document.",
    },
    ("question", "request_information"): {
        "ar": "المرجو تحديد المحكمة المعنية.",
        "fr": "Pouvez-vous préciser le tribunal concerné ?",
        "en": "Which court is it about?",
    },
    # The citizen's own messages.
    (None, "provide_information"): {
        "ar": "هذه هي المعلومات المطلوبة، وأبقى رهن الإشارة لأي توضيح إضافي.",
        "fr": "Voici les précisions demandées ; je reste disponible pour tout complément.",
        "en": "Here is the information you asked for; I remain available for anything else.",
    },
    (None, "withdraw"): {
        "ar": "تمت التسوية بشكل ودي.",
        "fr": "Nous avons trouvé un arrangement à l'amiable.",
        "en": "We settled the matter amicably.",
    },
}
# Why the Mediator hands a file over, by the kind of body that takes it.
HANDOVER_REASONS = {
    "prosecution": {
        "ar": "يتعلق الأمر بأفعال زجرية من اختصاص النيابة العامة.",
        "fr": "Il s'agit de faits pénaux : ils relèvent du parquet.",
        "en": "These are criminal facts: a matter for the public prosecutor.",
    },
    "CSPJ": {
        "ar": "تتعلق الشكاية بسلوك قاضٍ، وهو من اختصاص المجلس الأعلى للسلطة القضائية.",
        "fr": "La réclamation vise la conduite d'un magistrat : elle relève du CSPJ.",
        "en": "The grievance is about a judge's conduct: a matter for the Judicial Council.",
    },
    "MRE": {
        "ar": "يتعلق طلبكم بخدمة قنصلية من اختصاص الوزارة المكلفة بمغاربة العالم.",
        "fr": "Votre demande concerne un service consulaire : elle relève du ministère "
        "chargé des MRE.",
        "en": "Your request is about a consular service: a matter for the ministry for "
        "Moroccans abroad.",
    },
}
RELATIONSHIP_SHARES = {
    "pardon": (
        ("self", 0.1),
        ("spouse", 0.2),
        ("parent", 0.2),
        ("child", 0.15),
        ("sibling", 0.12),
        ("relative", 0.05),
        ("lawyer", 0.18),
    ),
    "bail": (
        ("spouse", 0.2),
        ("parent", 0.2),
        ("child", 0.05),
        ("sibling", 0.12),
        ("relative", 0.05),
        ("lawyer", 0.38),
    ),
    "grievance": (("self", 0.85), ("child", 0.05), ("relative", 0.04), ("lawyer", 0.06)),
}
# A parent, child or sibling shares the family name.
SAME_FAMILY = {"self", "parent", "child", "sibling"}
# The pardon commission sits before these occasions, a few times a year.
COMMISSION_OCCASIONS = ((1, 11), (7, 30), (11, 18))
COMMISSION_PLACE = "Rabat"


@dataclass(frozen=True)
class SeedSummary:
    cases: int
    events: int
    notifications: int
    audit_entries: int
    procedures: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Sms:
    record: int  # index of the step in the plan (-1: the filing)
    recipient: str
    key: str
    status: str  # the state the case entered, for the message's wording
    registry_number: str
    amount: str
    at: datetime
    failed: bool
    flags_unreached: bool = False


@dataclass(slots=True)
class _Record:
    step: Step
    from_status: str
    at: datetime
    data: dict
    message: str


@dataclass(slots=True)
class _Plan:
    """One case before it is inserted: its filing, then the steps it went through."""

    code: str
    reference: str
    language: str
    phone: str
    filer_name: str
    channel: str
    submitted: datetime
    details: dict
    commune: Commune | None
    unit_id: int
    to_confirm: bool
    search_text: str
    filed_unit_id: int = 0
    to_confirm_at_filing: bool = False
    status: str = ""
    at: datetime | None = None
    registry_number: str = ""
    session: tuple[int, date] | None = None
    next_session: tuple[int, date] | None = None
    answer_days: int = 0
    withdraws: bool = False
    records: list = field(default_factory=list)
    sms: list = field(default_factory=list)
    unreached_at: datetime | None = None


def _receipt_pdf() -> bytes:
    """A one-page PDF standing for the bail deposit receipts the seed cannot scan."""
    stream = b"BT /F1 14 Tf 72 760 Td (Recu de consignation - document de test) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def bench_seed(
    *,
    count: int,
    batch_size: int = 2000,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    missing = set(PROCEDURES) - set(PROCEDURE_MIX)
    if missing:
        raise ValueError(f"PROCEDURE_MIX gives no share to {sorted(missing)}")
    seeder = _Seeder(random.Random(seed))
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        with transaction.atomic():
            seeder.insert_batch(size)
        done += size
        if progress:
            progress(done)
    return SeedSummary(*seeder.totals, procedures=dict(seeder.per_procedure))


class _Seeder:
    """The reference data, counters and caches one seeding run shares between batches.

    Caches are keyed by what they depend on (a commune, a state and a date...), never by
    case, so their size is bounded whatever the number of cases.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.start = self.now - timedelta(days=730)
        # One calendar for the run: it is one job, and holidays are read once a year.
        self.calendar = HolidayCalendar()
        self.languages = tuple(zip(*LANGUAGES, strict=True))
        self.channels = tuple(zip(*FILING_CHANNELS, strict=True))
        self.answers = tuple(zip(*ADMINISTRATION_ANSWER_SHARES, strict=True))
        self.codes = list(PROCEDURE_MIX)
        self.code_weights = [PROCEDURE_MIX[code] for code in self.codes]
        self.sequences: dict[tuple[str, int], int] = {
            (counter.procedure, counter.year): counter.last_value
            for counter in ReferenceCounter.objects.all()
        }
        head = AuditChainHead.objects.filter(id=1).first()
        self.previous_hash = head.last_hash if head else "0" * 64
        self.totals = [0, 0, 0, 0]
        self.per_procedure = dict.fromkeys(self.codes, 0)
        provider = provider_configs()[0]
        self.provider, self.sms_rate = provider.name, provider.cost
        self._load_reference()
        self._routes: dict[tuple[str, object], tuple[int, bool]] = {}
        self._targets: dict[tuple[str, str], int | None] = {}
        self._deadlines: dict[tuple[int, date], datetime] = {}
        self._templates: dict[tuple[str, str, str], tuple[str, int]] = {}
        self._shapes: dict[tuple, tuple[str, int]] = {}
        self._unit_names: dict[tuple[int, str], str] = {}
        self._sessions: list[tuple[int, date]] | None = None
        self._receipt: tuple[str, int, str] | None = None

    # --- reference data -------------------------------------------------------------

    def _load_reference(self) -> None:
        self.communes, self.commune_weights = [], []
        for commune in Commune.objects.select_related("first_instance_court", "appeal_court"):
            self.communes.append(commune)
            self.commune_weights.append(max(commune.population_2024 or 1, 1))
        regions = list(Region.objects.all())
        self.regions = [region.code for region in regions]
        self.region_weights = [max(region.population_2024 or 1, 1) for region in regions]
        self.prisons = list(Prison.objects.values_list("pk", "province_id"))
        self.prisons_by_province: dict[str, list[str]] = {}
        for prison, province in self.prisons:
            self.prisons_by_province.setdefault(province, []).append(prison)
        self.courts = list(
            Court.objects.filter(kind__in=[Court.Kind.FIRST_INSTANCE, Court.Kind.APPEAL])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        units = Unit.objects.select_related("court__seat_province", "region")
        self.unit_codes = {}
        self.units_by_code = {}
        self.prosecution_offices: list[int] = []
        self.prosecution_by_region: dict[str, list[int]] = {}
        for unit in units:
            self.unit_codes[unit.pk] = unit.code
            self.units_by_code[unit.code] = unit
            if unit.kind == Unit.Kind.PROSECUTION_FIRST_INSTANCE and unit.is_active:
                self.prosecution_offices.append(unit.pk)
                province = unit.court.seat_province if unit.court_id else None
                if province is not None:
                    self.prosecution_by_region.setdefault(province.region_id, []).append(unit.pk)
        self.answering_units = [
            self.units_by_code[code].pk
            for code in dict.fromkeys(ANSWERING_UNITS.values())
            if code in self.units_by_code
        ]

    def _route(self, code: str, key, commune, details) -> tuple[int, bool]:
        """The procedure's own router (prosecution_office_for, prosecution_office_of_court,
        mediator_delegation_for, the pardon secretariat, ANSWERING_UNITS), asked once per
        value that decides the route."""
        cached = self._routes.get((code, key))
        if cached is None:
            destination = PROCEDURES[code].router(commune, details)
            cached = (destination.unit.pk, destination.to_confirm)
            self._routes[(code, key)] = cached
        return cached

    def _commission_sessions(self) -> list[tuple[int, date]]:
        """The pardon commission's sessions over the seeded years and the next one: those
        an administrator set, and one before each national occasion where none is."""
        if self._sessions is None:
            today = timezone.localdate(self.now)
            first, last = self.start.date(), today + timedelta(days=400)
            occasions = [
                date(year, month, day)
                for year in range(first.year, last.year + 1)
                for month, day in COMMISSION_OCCASIONS
            ]
            occasions += [
                days[0][0]
                for days in EXPECTED_RELIGIOUS_HOLIDAYS
                if days[0][1] in (EID_AL_FITR, EID_AL_ADHA)
            ]
            for occasion in sorted(occasions):
                sitting = occasion - timedelta(days=10)
                if first <= sitting <= last:
                    CommissionSession.objects.get_or_create(
                        date=sitting,
                        place=COMMISSION_PLACE,
                        defaults={"agenda_closed": sitting < today},
                    )
            self._sessions = list(
                CommissionSession.objects.order_by("date", "pk").values_list("pk", "date")
            )
        return self._sessions

    def _receipt_file(self) -> tuple[str, int, str]:
        """The stored receipt every seeded deposit points at (files are content-addressed,
        so identical documents share one file, as real uploads do)."""
        if self._receipt is None:
            content = _receipt_pdf()
            digest = hashlib.sha256(content).hexdigest()
            name = attachment_path(SimpleNamespace(sha256=digest), "receipt.pdf")
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(content))
            self._receipt = (name, len(content), digest)
        return self._receipt

    # --- targets and deadlines ------------------------------------------------------

    def _target(self, code: str, state) -> int | None:
        key = (code, state.name)
        if key not in self._targets:
            self._targets[key] = target_days_for(procedure=code, state=state)
        return self._targets[key]

    def _due(self, code: str, state, since: datetime) -> datetime | None:
        """_due_at(state, since, holidays=..., procedure=code), without reading the
        administrator's target again for every case: the state is given the target read
        once (_target), and a deadline depends only on it and on the local date."""
        days = self._target(code, state)
        if not days:
            return None
        key = (days, since.astimezone(MOROCCO_TZ).date())
        if key not in self._deadlines:
            self._deadlines[key] = _due_at(
                replace(state, target_days=days), since, holidays=self.calendar
            )
        return self._deadlines[key]

    # --- one batch ------------------------------------------------------------------

    def insert_batch(self, size: int) -> None:
        rng = self.rng
        codes = rng.choices(self.codes, weights=self.code_weights, k=size)
        plans = []
        for code in codes:
            # Denser in recent months, as the service grows. Drawn case by case, not in
            # date order, as the data set always was: rows stored in date order change
            # the index PostgreSQL reads a unit's queue with (tests/test_queue_indexes.py).
            share = rng.random() ** 0.8
            plans.append(self._plan(code, self.start + (self.now - self.start) * share))
        cases = [self._case(plan) for plan in plans]
        Case.objects.bulk_create(cases, batch_size=1000)

        events, per_case = [], []
        for case, plan in zip(cases, plans, strict=True):
            case_events = [
                CaseEvent(
                    case=case,
                    step="submit",
                    from_status="",
                    to_status=PROCEDURES[plan.code].workflow.initial,
                    actor_kind=CaseEvent.ActorKind.CITIZEN,
                    at=plan.submitted,
                    data={
                        "unit": self.unit_codes[plan.filed_unit_id],
                        "to_confirm": plan.to_confirm_at_filing,
                        "channel": plan.channel,
                    },
                )
            ]
            for record in plan.records:
                citizen = CITIZEN in record.step.roles
                case_events.append(
                    CaseEvent(
                        case=case,
                        step=record.step.name,
                        from_status=record.from_status,
                        to_status=record.step.target,
                        actor_kind=CaseEvent.ActorKind.CITIZEN
                        if citizen
                        else CaseEvent.ActorKind.STAFF,
                        citizen_message=record.message,
                        data=record.data,
                        citizen_visible=record.step.citizen_visible,
                        at=record.at,
                    )
                )
            events.extend(case_events)
            per_case.append(case_events)
        CaseEvent.objects.bulk_create(events, batch_size=5000)

        attachments, notifications = [], []
        for case, plan, case_events in zip(cases, plans, per_case, strict=True):
            for index, record in enumerate(plan.records):
                if record.step.name == "submit_deposit":
                    attachments.append(self._receipt_row(case, case_events[index + 1], record))
            for sms in plan.sms:
                notifications.append(self._notification(case, case_events[sms.record + 1], sms))
        Attachment.objects.bulk_create(attachments, batch_size=5000)
        Notification.objects.bulk_create(notifications, batch_size=5000)

        audits = []
        sent = iter(notifications)
        for plan in plans:
            audits.extend(self._audit_rows(plan, sent))
        entries = self._chain(audits)
        AuditEntry.objects.bulk_create(entries, batch_size=5000)
        if entries:
            AuditChainHead.objects.update_or_create(
                id=1, defaults={"last_hash": self.previous_hash, "last_entry_id": entries[-1].id}
            )
        for (procedure, year), last in self.sequences.items():
            ReferenceCounter.objects.update_or_create(
                procedure=procedure, year=year, defaults={"last_value": last}
            )
        self.totals[0] += len(cases)
        self.totals[1] += len(events)
        self.totals[2] += len(notifications)
        self.totals[3] += len(entries)
        for plan in plans:
            self.per_procedure[plan.code] += 1

    def _case(self, plan: _Plan) -> Case:
        workflow = PROCEDURES[plan.code].workflow
        state = workflow.state(plan.status)
        last = plan.records[-1] if plan.records else None
        if last is not None and last.step.name == "send_to_administration":
            # The deadline the administration was given, in calendar days.
            due = plan.at + timedelta(days=plan.answer_days)
        else:
            due = self._due(plan.code, state, plan.at)
        return Case(
            procedure=plan.code,
            reference=plan.reference,
            status=plan.status,
            unit_id=plan.unit_id,
            destination_to_confirm=plan.to_confirm,
            registry_number=plan.registry_number,
            filer_name=plan.filer_name,
            filer_phone=plan.phone,
            language=plan.language,
            commune=plan.commune,
            details=plan.details,
            access_code_hash=access_code_hash(
                reference=plan.reference, access_code=BENCH_ACCESS_CODE
            ),
            consent_at=plan.submitted,
            channel=plan.channel,
            submitted_at=plan.submitted,
            status_changed_at=plan.at,
            closed_at=plan.at if state.terminal else None,
            citizen_unreached_at=plan.unreached_at,
            due_at=due,
            search_text=plan.search_text,
        )

    # --- filing ---------------------------------------------------------------------

    def _plan(self, code: str, submitted: datetime) -> _Plan:
        rng = self.rng
        language = rng.choices(*self.languages)[0]
        year = timezone.localdate(submitted).year
        self.sequences[(code, year)] = self.sequences.get((code, year), 0) + 1
        reference = references.format_reference(
            PROCEDURES[code].reference_prefix, year, self.sequences[(code, year)]
        )
        abroad = rng.random() < 0.05
        country, prefix = rng.choice(ABROAD) if abroad else ("MA", rng.choice(("+2126", "+2127")))
        phone = f"{prefix}{rng.randrange(10**8):08d}"
        family = rng.randrange(len(LAST_NAMES["latin"]))
        filer_name = self._name(language, family)
        details, commune, key = getattr(self, f"_details_{code}")(
            language, submitted, family, country
        )
        unit_id, to_confirm = self._route(code, key, commune, details)
        plan = _Plan(
            code=code,
            reference=reference,
            language=language,
            phone=phone,
            filer_name=filer_name,
            channel=rng.choices(*self.channels)[0],
            submitted=submitted,
            details=details,
            commune=commune,
            unit_id=unit_id,
            filed_unit_id=unit_id,
            to_confirm=to_confirm,
            to_confirm_at_filing=to_confirm,
            search_text=search_text_for(
                reference=reference, filer_name=filer_name, filer_phone=phone, details=details
            ),
            withdraws=rng.random() < WITHDRAW_SHARE,
        )
        self._walk(plan)
        self._plan_unreached(plan)
        return plan

    def _name(self, language: str, family: int | None = None, *, man: bool | None = None) -> str:
        script = "arabic" if language == "ar" else "latin"
        if man is None:
            man = self.rng.random() < 0.5
        first = self.rng.choice(FIRST_NAMES[script][0 if man else 1])
        if family is None:
            family = self.rng.randrange(len(LAST_NAMES[script]))
        return f"{first} {LAST_NAMES[script][family]}"

    def _birth_date(self) -> str:
        rng = self.rng
        return date(rng.randint(1960, 2003), rng.randint(1, 12), rng.randint(1, 28)).isoformat()

    def _cin(self) -> str:
        return f"{self.rng.choice(CIN_PREFIXES)}{self.rng.randrange(10**5, 10**6)}"

    def _past(self, moment: datetime, low_days: int, high_days: int) -> str:
        day = timezone.localdate(moment) - timedelta(days=self.rng.randint(low_days, high_days))
        return day.isoformat()

    def _relationship(self, code: str, family: int) -> tuple[str, int | None]:
        """Who files, and the family name of the person concerned (None: another)."""
        shares = RELATIONSHIP_SHARES[code]
        relationship = self.rng.choices(*zip(*shares, strict=True))[0]
        return relationship, family if relationship in SAME_FAMILY else None

    def _details_complaint(self, language, submitted, family, country):
        rng = self.rng
        commune = rng.choices(self.communes, weights=self.commune_weights)[0]
        category = rng.choices(list(COMPLAINT_FACTS), [w for w, _ in COMPLAINT_FACTS.values()])[0]
        accused = [self._name(language)] if category in KNOWN_ACCUSED and rng.random() < 0.6 else []
        details = {
            "complainant_kind": "person",
            "id_kind": "cin" if country == "MA" or rng.random() < 0.7 else "passport",
            "id_number": self._cin(),
            "nationality": "MA",
            "country_of_residence": country,
            "accused_unknown": not accused,
            "accused": accused,
            "category": category,
            "facts": COMPLAINT_FACTS[category][1][language],
            "facts_date": self._past(submitted, 0, 20),
            "province": commune.province_id,
            "commune": commune.code,
        }
        return details, commune, commune.code

    def _details_pardon(self, language, submitted, family, country):
        rng = self.rng
        relationship, convicted_family = self._relationship("pardon", family)
        in_prison = rng.random() < 0.85
        grounds = rng.sample(["health", "family", "conduct", "other"], rng.randint(1, 2))
        judged = timezone.localdate(submitted) - timedelta(days=rng.randint(200, 3000))
        details = {
            "convicted": {
                # Almost every detainee is a man; the grounds written above say "he".
                "name": self._name(language, convicted_family, man=True),
                "cin": self._cin(),
                "birth_date": self._birth_date(),
                "prison": rng.choice(self.prisons)[0] if in_prison else "",
                "detention_number": str(rng.randrange(10**4, 10**6)) if in_prison else "",
            },
            "judgment": {
                "court": rng.choice(self.courts),
                "date": judged.isoformat(),
                "case_number": f"{judged.year}/2103/{rng.randint(1, 3000)}",
                "sentence": rng.choice(SENTENCES[language]),
            },
            "grounds": grounds,
            "facts": " ".join(PARDON_GROUNDS_TEXT[ground][language] for ground in grounds),
            "relationship": relationship,
        }
        return details, None, ""

    def _details_bail(self, language, submitted, family, country):
        rng = self.rng
        relationship, detainee_family = self._relationship("bail", family)
        # The place the person was arrested decides the court; crimes go to the court of
        # appeal, offences to the court of first instance.
        commune = rng.choices(self.communes, weights=self.commune_weights)[0]
        courts = [commune.first_instance_court_id, commune.appeal_court_id]
        if rng.random() < 0.25:
            courts.reverse()
        court = next((pk for pk in courts if pk), None) or rng.choice(self.courts)
        prisons = self.prisons_by_province.get(commune.province_id) or [
            pk for pk, _ in self.prisons
        ]
        detained = timezone.localdate(submitted) - timedelta(days=rng.randint(2, 60))
        details = {
            "detainee": {
                "name": self._name(language, detainee_family, man=True),
                "cin": self._cin() if rng.random() < 0.7 else "",
                "prison": rng.choice(prisons),
            },
            "court": court,
            "case_number": f"{detained.year}/2105/{rng.randint(1, 5000)}"
            if rng.random() < 0.7
            else "",
            "detention_date": detained.isoformat(),
            "guarantee_amount": str(rng.choice((5000, 10000, 15000, 20000, 30000, 50000))),
            "surety": rng.choice(SURETIES[language]) if rng.random() < 0.5 else "",
            "facts": rng.choice(BAIL_GROUNDS[language]),
            "relationship": relationship,
        }
        return details, None, court

    def _details_grievance(self, language, submitted, family, country):
        rng = self.rng
        relationship, concerned_family = self._relationship("grievance", family)
        region = rng.choices(self.regions, weights=self.region_weights)[0]
        administration, request_made, facts = rng.choice(GRIEVANCES)[language]
        details = {
            "administration": administration,
            "request_made": request_made,
            "request_date": self._past(submitted, 30, 400),
            "administration_answer": rng.choices(*self.answers)[0],
            "facts": facts,
            "region": region,
            "not_before_court": True,
            "relationship": relationship,
        }
        if relationship != "self":
            details["concerned"] = {
                "name": self._name(language, concerned_family),
                "phone": f"+2126{rng.randrange(10**8):08d}" if rng.random() < 0.6 else "",
            }
        return details, None, region

    def _details_question(self, language, submitted, family, country):
        rng = self.rng
        institution = rng.choices(list(QUESTIONS), [w for w, _ in QUESTIONS.values()])[0]
        subject, question, _answer = QUESTIONS[institution][1][language]
        details = {"institution": institution, "subject": subject, "facts": question}
        return details, None, institution

    # --- the walk through the workflow ------------------------------------------------

    def _walk(self, plan: _Plan) -> None:
        """A plausible path, each step after the time its state usually takes: older
        cases are further along; a few stall, ~3 % are withdrawn by the citizen."""
        rng = self.rng
        workflow = PROCEDURES[plan.code].workflow
        plan.status, plan.at = workflow.initial, plan.submitted
        self._plan_sms(plan, -1, PROCEDURES[plan.code].received_message, plan.submitted)
        withdraw_after = rng.randrange(4)
        for index in range(MAX_STEPS):
            options = workflow.steps_from(plan.status)
            withdraw = next((s for s in options if s.name == "withdraw"), None)
            step = self._choose(plan, options)
            silent = SILENT_CITIZEN_SHARE if plan.status == "info_requested" else STALL_SHARE
            if rng.random() < silent:
                step = None
            at = self._when(plan, step) if step is not None else None
            if (
                plan.withdraws
                and withdraw is not None
                and (
                    index >= withdraw_after
                    or at is None
                    or at > self.now
                    # The citizen withdraws before the case leaves what they may withdraw.
                    or not any(s.name == "withdraw" for s in workflow.steps_from(step.target))
                )
            ):
                until = min(at, self.now) if at is not None else self.now
                self._take(plan, withdraw, plan.at + (until - plan.at) * rng.uniform(0.1, 0.9))
                return
            if at is None or at > self.now:
                return
            self._take(plan, step, at)

    def _choose(self, plan: _Plan, options):
        weights = STEP_WEIGHTS.get(plan.code, {})
        if plan.to_confirm and plan.code == "complaint":
            # The office confirms a guessed destination before anything else.
            confirm = next((s for s in options if s.name == "confirm_destination"), None)
            if confirm is not None:
                return confirm
        steps, chances = [], []
        for step in options:
            if step.name in ("withdraw", "confirm_destination"):
                continue
            if step.name == "propose_handover" and not self._grievance(plan)["handover"]:
                continue  # no body on Mizan is competent for this matter
            chance = weights.get(f"{plan.status}>{step.name}", weights.get(step.name, 1))
            if chance:
                steps.append(step)
                chances.append(chance)
        return self.rng.choices(steps, chances)[0] if steps else None

    def _when(self, plan: _Plan, step) -> datetime | None:
        """When the step is taken, after the time its state usually takes (None: never)."""
        rng = self.rng
        workflow = PROCEDURES[plan.code].workflow
        if plan.status == "before_commission":
            # Decided (or postponed) once the commission has sat.
            sat = datetime.combine(plan.session[1], time(11), tzinfo=MOROCCO_TZ).astimezone(UTC)
            after = rng.uniform(0, 3) if step.name == "schedule_commission" else rng.uniform(2, 25)
            at = max(plan.at, sat) + timedelta(days=after)
        elif step.name == "confirm_destination":
            at = plan.at + timedelta(days=rng.uniform(0.05, 3))
        elif plan.status == "with_administration":
            at = plan.at + timedelta(days=plan.answer_days * rng.lognormvariate(-0.2, 0.5))
        else:
            target = self._target(plan.code, workflow.state(plan.status)) or DEFAULT_TARGET_DAYS
            days = target * CALENDAR_DAYS_PER_WORKING_DAY * rng.lognormvariate(-0.25, 0.7)
            at = plan.at + timedelta(days=days)
        if step.name == "schedule_commission":
            # The first session whose agenda is still open a week ahead, after the one
            # the request was on when it is postponed.
            after = timezone.localdate(at) + timedelta(days=7)
            if plan.session is not None:
                after = max(after, plan.session[1])
            plan.next_session = next(
                (session for session in self._commission_sessions() if session[1] > after),
                None,
            )
            if plan.next_session is None:
                return None
        return at

    def _take(self, plan: _Plan, step, at: datetime) -> None:
        """Take the step with the effects of its inputs, as case_transition would."""
        rng, language, name = self.rng, plan.language, step.name
        data: dict = {}
        message = self._message(plan, step)
        if name == "confirm_destination":
            code = self.unit_codes[plan.unit_id]
            data = {"destination": code, "from_unit": code, "corrected": False}
            plan.to_confirm = False
        elif name == "register":
            plan.registry_number = f"{rng.randint(1, 25000)}/3101/{timezone.localdate(at).year}"
            data = {"registry_number": plan.registry_number}
            # Staff look cases up by the office's own number too.
            plan.search_text = f"{plan.search_text} {normalise(plan.registry_number)}"
        elif name == "decide_transfer":
            target = rng.choice([pk for pk in self.prosecution_offices if pk != plan.unit_id])
            data = {
                "transfer_to": self.unit_codes[target],
                "from_unit": self.unit_codes[plan.unit_id],
            }
        elif name == "schedule_commission":
            plan.session = plan.next_session
            label = plan.session[1].isoformat()
            plan.details = {
                **plan.details,
                "commission_session": plan.session[0],
                "commission_session_label": label,
            }
            data = {"commission_session": plan.session[0], "commission_session_date": label}
        elif name == "decide_granted":
            proposed = int(plan.details["guarantee_amount"])
            amount = _amount(str(proposed * rng.choice((1, 1, 1.5, 2))))
            conditions = BAIL_CONDITIONS[language]
            plan.details = {
                **plan.details,
                "bail_decision": {"amount": amount, "conditions": conditions},
            }
            data = {"bail_amount": amount, "bail_conditions": conditions}
        elif name == "propose_handover":
            kind = self._grievance(plan)["handover"]
            unit_id = self._competent_unit(kind, plan.details["region"])
            body = self._unit_name(unit_id, language)
            code = self.unit_codes[unit_id]
            plan.details = {**plan.details, "redirect": {"unit": code, "body": body}}
            data = {"competent_unit": code, "competent_body": body}
            message = HANDOVER_REASONS[kind][language]
        elif name == "accept_handover":
            target = self.units_by_code[plan.details["redirect"]["unit"]].pk
            data = {"from_unit": self.unit_codes[plan.unit_id], "to_unit": self.unit_codes[target]}
            plan.unit_id, plan.to_confirm = target, False
        elif name == "redirect_outside":
            body = self._grievance(plan)["outside"][language]
            plan.details = {**plan.details, "redirect": {"body": body}}
            data = {"competent_body": body}
        elif name == "send_to_administration":
            plan.answer_days = rng.choice((DEFAULT_ANSWER_DAYS, DEFAULT_ANSWER_DAYS, 30, 90))
            data = {"answer_days": plan.answer_days}
        elif name == "forward":
            target = rng.choice([pk for pk in self.answering_units if pk != plan.unit_id])
            data = {
                "forward_to": self.unit_codes[target],
                "from_unit": self.unit_codes[plan.unit_id],
            }
            plan.unit_id = target
        # "assign" names a prosecutor; the seed creates no staff, so none is named.
        plan.records.append(_Record(step, plan.status, at, data, message))
        plan.status, plan.at = step.target, at
        if step.notify:
            self._plan_sms(plan, len(plan.records) - 1, step.notify, at)

    def _grievance(self, plan: _Plan) -> dict:
        return GRIEVANCES[GRIEVANCE_OF_ADMINISTRATION[plan.details["administration"]]]

    def _competent_unit(self, kind: str, region: str) -> int:
        """The body on Mizan the Mediator hands a file to: a prosecution office of the
        region for criminal facts, else the Judicial Council or the MRE desk."""
        if kind == "prosecution":
            offices = self.prosecution_by_region.get(region)
            return self.rng.choice(offices) if offices else self.units_by_code["PMP"].pk
        return self.units_by_code[kind].pk

    def _unit_name(self, unit_id: int, language: str) -> str:
        key = (unit_id, language)
        if key not in self._unit_names:
            unit = self.units_by_code[self.unit_codes[unit_id]]
            with translation.override(language):
                self._unit_names[key] = str(unit)
        return self._unit_names[key]

    def _message(self, plan: _Plan, step) -> str:
        if step.name == "answer":
            return QUESTIONS[plan.details["institution"]][1][plan.language][2]
        if step.name == "propose_handover":
            return ""  # worded with the body chosen (_take)
        if step.name == "withdraw":
            # Most citizens withdraw without a word.
            if self.rng.random() >= 0.3:
                return ""
        elif not step.message_required:
            return ""
        # A step that needs a message and has none here fails loudly: write one above.
        texts = MESSAGES.get((plan.code, step.name)) or MESSAGES[(None, step.name)]
        return texts[plan.language]

    # --- messages -------------------------------------------------------------------

    def _plan_sms(self, plan: _Plan, record: int, key: str, at: datetime) -> None:
        """The SMS the step sends: to the filer and, when someone filed for them, to the
        person concerned on the phone given for them."""
        amount = (plan.details.get("bail_decision") or {}).get("amount", "")
        recipients = [plan.phone]
        concerned = (plan.details.get("concerned") or {}).get("phone")
        if concerned and concerned != plan.phone:
            recipients.append(concerned)
        for recipient in recipients:
            plan.sms.append(
                _Sms(
                    record=record,
                    recipient=recipient,
                    key=key,
                    status=plan.status,
                    registry_number=plan.registry_number,
                    amount=amount,
                    at=at,
                    failed=self.rng.random() < SMS_FAILURE_SHARE,
                )
            )

    def _plan_unreached(self, plan: _Plan) -> None:
        """A final failure flags the case (and is audited) unless already flagged; a
        delivery lifts the flag, as the delivery reports do."""
        flagged = None
        for sms in plan.sms:
            if sms.failed:
                if flagged is None:
                    flagged = sms.at + timedelta(seconds=30)
                    sms.flags_unreached = True
            else:
                flagged = None
        plan.unreached_at = flagged

    def _notification(self, case: Case, event: CaseEvent, sms: _Sms) -> Notification:
        body, version = self._render(sms.key, case.language, case.procedure, sms.status)
        body = (
            body.replace("§REF§", case.reference)
            .replace("§REG§", sms.registry_number)
            .replace("§AMT§", sms.amount)
        )
        shape_key = (
            sms.key,
            case.language,
            case.procedure,
            sms.status,
            len(case.reference),
            len(sms.registry_number),
            len(sms.amount),
        )
        shape = self._shapes.get(shape_key)
        if shape is None:
            # The variable parts are plain digits, letters and separators: the same
            # lengths give the same encoding and segments.
            measured = sms_shape(body)
            shape = self._shapes[shape_key] = (measured.encoding, measured.segments)
        key = f"case-event:{event.pk}:sms:{sms.recipient}"
        return Notification(
            case=case,
            case_event=event,
            recipient=sms.recipient,
            language=case.language,
            template_key=sms.key,
            template_version=version,
            body=body,
            idempotency_key=key,
            client_reference=client_reference_for(key),
            encoding=shape[0],
            segments=shape[1],
            estimated_cost=sms_cost(shape[1], self.sms_rate),
            status=Notification.Status.PERMANENT_FAILURE
            if sms.failed
            else Notification.Status.DELIVERED,
            provider=self.provider,
            provider_status="UNDELIV" if sms.failed else "DELIVRD",
            failure_reason=SMS_FAILURE_REASON if sms.failed else "",
            attempts=1,
            created_at=sms.at,
            sent_at=sms.at + timedelta(seconds=2),
            delivered_at=None if sms.failed else sms.at + timedelta(seconds=9),
            failed_at=sms.at + timedelta(seconds=30) if sms.failed else None,
        )

    def _render(self, key: str, language: str, code: str, status: str) -> tuple[str, int]:
        """notification_render's wording (the administrator's if any, with its version),
        once per message, language and state; the case's own values are swapped in."""
        cache_key = (key, language, f"{code}:{status}")
        cached = self._templates.get(cache_key)
        if cached is None:
            with translation.override(language):
                label = str(PROCEDURES[code].workflow.state(status).citizen_label)
            rendered = message_render(
                template_key=key,
                language=language,
                context={
                    "reference": "§REF§",
                    "link": tracking_link(reference="§REF§", language=language),
                    "registry_number": "§REG§",
                    "status": label,
                    "amount": "§AMT§",
                },
            )
            cached = self._templates[cache_key] = (rendered.body, rendered.version)
        return cached

    def _receipt_row(self, case: Case, event: CaseEvent, record: _Record) -> Attachment:
        name, size, digest = self._receipt_file()
        return Attachment(
            case=case,
            case_event=event,
            file=name,
            original_name="recu-consignation.pdf",
            content_type="application/pdf",
            size=size,
            sha256=digest,
            uploaded_at=record.at,
            scan_status=ScanStatus.CLEAN,
            scanned_at=record.at,
        )

    # --- audit ----------------------------------------------------------------------

    def _audit_rows(self, plan: _Plan, sent) -> list[tuple]:
        citizen = citizen_label(plan.phone)
        rows = [
            (
                plan.submitted,
                citizen,
                "case.submitted",
                plan.reference,
                {
                    "procedure": plan.code,
                    "unit": self.unit_codes[plan.filed_unit_id],
                    "channel": plan.channel,
                },
            )
        ]
        flagged = {}
        for sms in plan.sms:
            notification = next(sent)
            if sms.flags_unreached:
                flagged.setdefault(sms.record, []).append(notification)
        rows.extend(self._unreached_rows(plan, flagged.get(-1, ())))
        for index, record in enumerate(plan.records):
            rows.append(
                (
                    record.at,
                    citizen if CITIZEN in record.step.roles else "bench",
                    "case.transition",
                    plan.reference,
                    {
                        "step": record.step.name,
                        "from": record.from_status,
                        "to": record.step.target,
                        **record.data,
                    },
                )
            )
            rows.extend(self._unreached_rows(plan, flagged.get(index, ())))
        return rows

    def _unreached_rows(self, plan: _Plan, notifications) -> list[tuple]:
        return [
            (
                notification.failed_at,
                "system",
                "case.citizen_unreached",
                plan.reference,
                {
                    "notification": notification.pk,
                    "channel": notification.channel,
                    "status": str(notification.status),
                    "reason": notification.failure_reason,
                },
            )
            for notification in notifications
        ]

    def _chain(self, rows) -> list[AuditEntry]:
        entries = []
        previous_hash = self.previous_hash
        for moment, actor_label, action, reference, data in rows:
            entry = AuditEntry(
                # In UTC, as the database gives it back: the hash covers its ISO form.
                at=moment.astimezone(UTC),
                actor_label=actor_label,
                action=action,
                object_type="case",
                object_id=reference,
                data=data,
                previous_hash=previous_hash,
            )
            entry.entry_hash = entry.compute_hash()
            previous_hash = entry.entry_hash
            entries.append(entry)
        self.previous_hash = previous_hash
        return entries


def bench_fingerprint() -> str:
    """A short digest of the seeded data's shape, reported with the results."""
    counts = f"{Case.objects.count()}:{CaseEvent.objects.count()}"
    return hashlib.sha256(counts.encode()).hexdigest()[:12]
