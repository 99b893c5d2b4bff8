// Texts of the map in Italian (default) and English. The choice is kept in localStorage.
const TEXTS = {
  it: {
    title: "Copertura a banda ultralarga",
    plannerTitle: "Pianificazione",
    search: "Cerca un indirizzo o un comune",
    searchNone: "Nessun risultato",
    layers: "Mappa",
    layerClasses: "Aree bianche, grigie, nere",
    layerFtth: "Fibra fino a casa (FTTH)",
    layerMobile: "Rete mobile 4G / 5G",
    legend: "Legenda",
    shareOfUnits: "quota di unità abitative",
    classes: {
      white: "Area bianca", grey: "Area grigia", black: "Area nera", unknown: "Dati incompleti",
      eligible: "Ammissibile", not_eligible: "Non ammissibile",
      served: "Servita", underserved: "Poco servita", unserved: "Non servita",
    },
    classHelp: {
      white: "nessuna rete veloce, né prevista entro tre anni",
      grey: "una sola rete veloce",
      black: "due o più reti veloci",
    },
    answer: {
      white: "Sì: questo indirizzo è in un'area bianca. Nessun operatore vi offre, né prevede entro tre anni, una rete veloce.",
      grey: "No: questo indirizzo è in un'area grigia. Un operatore vi offre una rete veloce.",
      black: "No: questo indirizzo è in un'area nera. Almeno due operatori vi offrono reti veloci.",
      other: "Classe di questo indirizzo: {class}.",
    },
    ftthYes: "Fibra FTTH", ftthNo: "Senza FTTH",
    mobile5g: "5G", mobile4g: "Solo 4G", mobileNone: "Nessuna rete mobile",
    mobileWhite: "Aree bianche mobili (Italia 5G)",
    technologies: "Tecnologie", speed: "Velocità massima", now: "Disponibile ora",
    planned: "Pianificato", plannedIn: "previsto nel {year}", asOf: "dati al {date}",
    noOffers: "Nessuna offerta pubblica registrata per questo indirizzo.",
    addresses: "Indirizzi", units: "Unità abitative", comune: "Comune", province: "Provincia",
    region: "Regione", ofAddresses: "degli indirizzi", ofUnits: "delle unità abitative",
    close: "Chiudi", language: "English", attribution: "Dati",
    speedClasses: { none: "nessuna", "<30": "meno di 30 Mbit/s", "30-100": "30-100 Mbit/s",
      "100-300": "100-300 Mbit/s", "300-1000": "300-1000 Mbit/s", "1000+": "1 Gbit/s e oltre" },
    clickHint: "Tocca un comune per le sue statistiche, un punto per il suo indirizzo.",
    login: "Accedi", token: "Token di accesso (bianca tokens create)", logout: "Esci",
    loginFailed: "Token non valido o revocato.",
    rules: "Regole", snapshot: "Istantanea", compareWith: "Confronta con", none: "—",
    viewing: "Mostra", served: "pubblicata",
    coverage: "Coperture degli operatori", operator: "Operatore", technology: "Tecnologia",
    minSpeed: "Velocità minima (Mbit/s)", status: "Stato", existing: "Esistente", all: "Tutti",
    plannedBy: "Pianificato entro", offers: "Offerte", dataset: "Dataset", trend: "Andamento",
    moves: "Cambi di classe",
    from: "Da", to: "A", noMoves: "Nessun indirizzo ha cambiato classe.",
    unchanged: "indirizzi senza cambi", progress: "Avanzamento lavori",
    layerProgress: "Avanzamento lavori", progressNone: "Nessun lavoro registrato.",
    colourBy: "Colora per", byCompletion: "quota completata", byStatus: "stato prevalente",
    plan: "Piano", asOfDate: "Data dello stato", asOfLabel: "Stato al ",
    uploadHistory: "Storico caricamenti", wholeArea: "Tutta l'area",
    completionShare: "quota completata (sul piano)", pointsHint: "Civici e siti 5G da zoom {zoom}.",
    site5g: "Sito 5G", lateWork: "In ritardo sulla data prevista",
    progressSummary: "{comuni} comuni con lavori; {done} di {units} unità abitative completate.",
    whiteUnits: "Unità in area bianca raggiunte", whitePending: "in programma",
    whiteInWorks: "in lavorazione", whiteDone: "completate",
    series: "Andamento mensile", seriesKeys: { planned: "nel piano", done: "completate", sellable: "vendibili" },
    done: "Completato", late: "In ritardo", sites: "siti", itemsShort: "voci", statusOfMost: "Stato prevalente",
    sellableUnits: "Unità vendibili", clickOtherComune: "Tocca un altro comune per confrontarlo.",
    kind: "Tipo", civico: "Civico", statusDate: "Data dello stato", plannedReady: "Fine prevista",
    yes: "sì", no: "no", note: "Nota", upload: "Caricamento", uploadsCount: "{n} caricamenti accettati",
    reportedOn: "Data", file: "File", items: "Voci", by: "Da",
    statuses: {
      planned: "In programmazione", design_final: "Progettazione definitiva",
      design_exec: "Progettazione esecutiva", permits: "In autorizzazione", in_works: "In esecuzione",
      works_closed: "Lavori chiusi", testing: "In collaudo", completed: "Terminato",
      sellable: "Vendibile", excluded: "Escluso",
    },
    peak: "picco", down: "download", up: "upload",
    export: "Esporta le unità dell'area",
    drawTitle: "Area disegnata", draw: "Disegna un'area", drawDone: "Fine",
    drawHint: "Clicca i vertici sulla mappa, poi Fine.", drawn: "Area disegnata",
    drawnUnits: "{n} indirizzi nell'area",
    changed: "Classe diversa in {name} (zoom 13+)",
  },
  en: {
    title: "Broadband coverage",
    plannerTitle: "Planning",
    search: "Search an address or a comune",
    searchNone: "No results",
    layers: "Map",
    layerClasses: "White, grey, black areas",
    layerFtth: "Fibre to the home (FTTH)",
    layerMobile: "Mobile 4G / 5G",
    legend: "Legend",
    shareOfUnits: "share of housing units",
    classes: {
      white: "White area", grey: "Grey area", black: "Black area", unknown: "Incomplete data",
      eligible: "Eligible", not_eligible: "Not eligible",
      served: "Served", underserved: "Underserved", unserved: "Unserved",
    },
    classHelp: {
      white: "no fast network, none planned within three years",
      grey: "one fast network",
      black: "two or more fast networks",
    },
    answer: {
      white: "Yes: this address is in a white area. No operator offers, or plans within three years, a fast network here.",
      grey: "No: this address is in a grey area. One operator offers a fast network here.",
      black: "No: this address is in a black area. At least two operators offer fast networks here.",
      other: "This address's class: {class}.",
    },
    ftthYes: "FTTH fibre", ftthNo: "No FTTH",
    mobile5g: "5G", mobile4g: "4G only", mobileNone: "No mobile network",
    mobileWhite: "Mobile white areas (Italia 5G)",
    technologies: "Technologies", speed: "Top speed", now: "Available now",
    planned: "Planned", plannedIn: "expected in {year}", asOf: "data as of {date}",
    noOffers: "No public offer recorded for this address.",
    addresses: "Addresses", units: "Housing units", comune: "Comune", province: "Province",
    region: "Region", ofAddresses: "of addresses", ofUnits: "of housing units",
    close: "Close", language: "Italiano", attribution: "Data",
    speedClasses: { none: "none", "<30": "under 30 Mbit/s", "30-100": "30-100 Mbit/s",
      "100-300": "100-300 Mbit/s", "300-1000": "300-1000 Mbit/s", "1000+": "1 Gbit/s and more" },
    clickHint: "Tap a comune for its statistics, a point for its address.",
    login: "Log in", token: "Access token (bianca tokens create)", logout: "Log out",
    loginFailed: "Unknown or revoked token.",
    rules: "Rules", snapshot: "Snapshot", compareWith: "Compare with", none: "—",
    viewing: "Show", served: "served",
    coverage: "Operators' coverage", operator: "Operator", technology: "Technology",
    minSpeed: "Minimum speed (Mbit/s)", status: "Status", existing: "Existing", all: "All",
    plannedBy: "Planned by", offers: "Offers", dataset: "Dataset", trend: "Trend",
    moves: "Class changes",
    from: "From", to: "To", noMoves: "No address changed class.",
    unchanged: "addresses unchanged", progress: "Rollout progress",
    layerProgress: "Rollout progress", progressNone: "No work recorded.",
    colourBy: "Colour by", byCompletion: "share completed", byStatus: "status of most units",
    plan: "Plan", asOfDate: "Date of the state", asOfLabel: "State on ",
    uploadHistory: "Upload history", wholeArea: "The whole area",
    completionShare: "share completed (of the plan)", pointsHint: "Civici and 5G sites from zoom {zoom}.",
    site5g: "5G site", lateWork: "Late on its planned date",
    progressSummary: "{comuni} comuni with work; {done} of {units} housing units completed.",
    whiteUnits: "White-area units reached", whitePending: "planned",
    whiteInWorks: "in works", whiteDone: "done",
    series: "Monthly series", seriesKeys: { planned: "in the plan", done: "completed", sellable: "sellable" },
    done: "Done", late: "Late", sites: "sites", itemsShort: "items", statusOfMost: "Status of most",
    sellableUnits: "Sellable units", clickOtherComune: "Click another comune to compare.",
    kind: "Kind", civico: "Civico", statusDate: "Status date", plannedReady: "Planned end",
    yes: "yes", no: "no", note: "Note", upload: "Upload", uploadsCount: "{n} accepted uploads",
    reportedOn: "Date", file: "File", items: "Items", by: "By",
    statuses: {
      planned: "Planned", design_final: "Final design", design_exec: "Detailed design",
      permits: "Awaiting permits", in_works: "In works", works_closed: "Works closed",
      testing: "Testing", completed: "Completed", sellable: "Sellable", excluded: "Excluded",
    },
    peak: "peak", down: "down", up: "up",
    export: "Export the area's units",
    drawTitle: "Drawn area", draw: "Draw an area", drawDone: "Done",
    drawHint: "Click the corners on the map, then Done.", drawn: "Drawn area",
    drawnUnits: "{n} addresses in the area",
    changed: "Class differs in {name} (zoom 13+)",
  },
};

export function lang() {
  const saved = localStorage.getItem("bianca.lang");
  return saved === "en" || saved === "it" ? saved : "it";
}

export function setLang(l) {
  localStorage.setItem("bianca.lang", l);
}

export function t(key) {
  const parts = key.split(".");
  let v = TEXTS[lang()];
  for (const p of parts) v = v?.[p];
  return v ?? key;
}

export function fmt(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

export function className(c) {
  return TEXTS[lang()].classes[c] ?? c.replace(/_/g, " ");
}
