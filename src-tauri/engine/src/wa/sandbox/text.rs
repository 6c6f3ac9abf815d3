//! Word banks for the sandbox's people: realistic lengths, several languages, accents
//! (so search can be tested on "orçamento"), questions and answers.

pub const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Chen", "Dmitri", "Emma", "Fatima", "Gabriel", "Hana", "Ibrahim", "Julia",
    "Kenji", "Lucía", "Marco", "Nadia", "Oliver", "Priya", "Quentin", "Rosa", "Samuel", "Tomás",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Björn", "Camila", "Diego",
    "Élodie", "Farid", "Greta", "Hugo", "Inês", "João", "Kofi", "Leila", "Mateo", "Noor",
    "Omar", "Paula", "Raj", "Sofia", "Theo", "Valentina", "William", "Yara", "Zeynep", "Aiko",
];

pub const LAST_NAMES: &[&str] = &[
    "Souza", "Lima", "Wei", "Ivanov", "Johnson", "Zahra", "Moreau", "Sato", "Hassan", "Fischer",
    "Tanaka", "García", "Rossi", "Petrova", "Smith", "Sharma", "Dubois", "Martínez", "Okafor", "Silva",
    "Nair", "Costa", "Zhang", "López", "Demir", "Brown", "Mensah", "Lindqvist", "Pereira", "Hernández",
];

pub const ABOUTS: &[&str] = &[
    "Hey there! I am using WhatsApp.",
    "Available",
    "Busy",
    "At the gym 🏋️",
    "Only urgent calls",
    "Vivendo um dia de cada vez ☀️",
    "Coffee first ☕",
    "On holiday until Monday 🌴",
    "Sleeping 😴",
    "Trabajando 💼",
];

pub const GREETINGS: &[&str] = &[
    "Hi!", "Hey 👋", "Hello!", "Good morning ☀️", "Oi, tudo bem?", "Hola!", "Hey, how are you?",
    "Morning!", "Evening 🌙", "Olá! Tudo certo por aí?",
];

pub const QUESTIONS: &[&str] = &[
    "Are we still on for dinner tomorrow?",
    "Did you see the message from the landlord?",
    "What time does the meeting start?",
    "Can you send me the report when you have a minute?",
    "Você já viu o orçamento da reforma?",
    "Where should we meet on Saturday?",
    "Do you know a good plumber?",
    "Could you pick up the kids at 5?",
    "¿Vienes a la fiesta el viernes?",
    "Have you finished the book yet?",
    "Is the invoice ready?",
    "Quer almoçar amanhã?",
    "How was the trip?",
    "Can we move the call to Thursday?",
    "Did the package arrive?",
];

pub const ANSWERS: &[&str] = &[
    "Yes, sounds good!",
    "Not sure yet, I'll let you know later today.",
    "I think so 🙂",
    "No, sorry — something came up.",
    "Sim, claro! Combinado.",
    "Let me check and get back to you.",
    "Absolutely 👍",
    "Maybe next week?",
    "Sí, perfecto.",
    "Already done ✅",
    "Give me 10 minutes.",
    "Hmm, I need to look at my calendar first.",
];

pub const STATEMENTS: &[&str] = &[
    "I'm running a bit late, sorry!",
    "The weather is amazing today ☀️",
    "Just landed ✈️",
    "Sent you the file by email.",
    "O orçamento ficou mais alto do que esperávamos.",
    "The café on the corner finally reopened.",
    "Don't forget the appointment at 3pm.",
    "I'll bring dessert 🍰",
    "Traffic is terrible right now.",
    "Happy birthday!! 🎉🎂",
    "Thanks a lot, that really helped.",
    "See you soon!",
    "La reunión se movió al lunes.",
    "The kids loved the park today.",
    "Price went up again, unbelievable.",
    "Can't talk now, call you later.",
    "Ok 👌",
    "Haha 😂",
    "Na verdade, prefiro sexta-feira.",
    "Good night 🌙",
    "Just finished the first draft of the proposal — it is longer than I expected, but I think it covers everything we discussed last week, including the budget and the timeline.",
    "Reminder: rent is due on the 5th.",
    "Jürgen said the café in Zürich is closed on Mondays.",
    "Naïve question, but does the résumé need a photo?",
];

pub const REACTIONS: &[&str] = &["👍", "❤️", "😂", "😮", "🙏", "🎉"];

pub const GROUP_NAMES: &[(&str, &str)] = &[
    ("Family 👨‍👩‍👧", "Our family group. Be nice!"),
    ("Product Team", "Daily coordination for the product team"),
    ("Book Club 📚", "One book a month. This month: The Left Hand of Darkness"),
    ("Sunday Football ⚽", "Sundays 10am at the park"),
    ("Orçamento Casa 2026", "Planejamento da reforma e do orçamento da casa"),
    ("Neighbours", "Building 12 — deliveries, noise, parking"),
];
