//! Builds directories: a deterministic generator for tenants of any size, and the named
//! demo tenant (Northwind Academy Trust) with a story an administrator can follow.
//!
//! The generated layout is predictable at any size: "All Staff" contains one group per
//! division, each division one group per department, each department its team groups, and
//! the teams hold the people. So All Staff transitively holds nearly everyone, four levels
//! deep; guests sit apart in "External Partners".

use std::collections::HashMap;

use crate::directory::{Directory, Group, ObjectKind, ObjectRef, OtherObject, User};
use crate::random::Dice;

/// Who the directory belongs to.
#[derive(Debug, Clone)]
pub struct TenantIdentity {
    pub id: String,
    pub domain: String,
    pub name: String,
}

/// A culture's names: (display form, ASCII form for addresses), plus language and country.
struct Culture {
    given: &'static [(&'static str, &'static str)],
    surnames: &'static [(&'static str, &'static str)],
    language: &'static str,
    country: &'static str,
    city: &'static str,
    weight: usize,
}

const CULTURES: &[Culture] = &[
    Culture {
        given: &[
            ("Oliver", "oliver"),
            ("Amelia", "amelia"),
            ("Harry", "harry"),
            ("Isla", "isla"),
            ("George", "george"),
            ("Ava", "ava"),
            ("Noah", "noah"),
            ("Mia", "mia"),
            ("Jack", "jack"),
            ("Grace", "grace"),
            ("Leo", "leo"),
            ("Freya", "freya"),
            ("Samuel", "samuel"),
            ("Rosie", "rosie"),
            ("Thomas", "thomas"),
            ("Evie", "evie"),
        ],
        surnames: &[
            ("Smith", "smith"),
            ("Jones", "jones"),
            ("Taylor", "taylor"),
            ("Brown", "brown"),
            ("Williams", "williams"),
            ("Wilson", "wilson"),
            ("Evans", "evans"),
            ("Thomas", "thomas"),
            ("Roberts", "roberts"),
            ("Walker", "walker"),
            ("Wright", "wright"),
            ("O'Connor", "oconnor"),
            ("Patel", "patel"),
            ("Khan", "khan"),
        ],
        language: "en-GB",
        country: "GB",
        city: "Manchester",
        weight: 10,
    },
    Culture {
        given: &[
            ("José", "jose"),
            ("Zoë", "zoe"),
            ("Chloé", "chloe"),
            ("Mónica", "monica"),
            ("Renée", "renee"),
            ("André", "andre"),
            ("Inès", "ines"),
            ("François", "francois"),
        ],
        surnames: &[
            ("García", "garcia"),
            ("Müller", "muller"),
            ("Lefèvre", "lefevre"),
            ("Núñez", "nunez"),
            ("Gonçalves", "goncalves"),
            ("Dubois", "dubois"),
        ],
        language: "fr-FR",
        country: "FR",
        city: "Lyon",
        weight: 3,
    },
    Culture {
        given: &[
            ("Łukasz", "lukasz"),
            ("Søren", "soren"),
            ("Åsa", "asa"),
            ("Zoltán", "zoltan"),
            ("Jiří", "jiri"),
        ],
        surnames: &[
            ("Wójcik", "wojcik"),
            ("Jørgensen", "jorgensen"),
            ("Öberg", "oberg"),
            ("Dvořák", "dvorak"),
            ("Nagy", "nagy"),
        ],
        language: "pl-PL",
        country: "PL",
        city: "Kraków",
        weight: 2,
    },
    Culture {
        given: &[
            ("美咲", "misaki"),
            ("翔太", "shota"),
            ("陽菜", "hina"),
            ("健", "ken"),
        ],
        surnames: &[
            ("佐藤", "sato"),
            ("鈴木", "suzuki"),
            ("高橋", "takahashi"),
            ("田中", "tanaka"),
        ],
        language: "ja-JP",
        country: "JP",
        city: "Osaka",
        weight: 1,
    },
    Culture {
        given: &[("伟", "wei"), ("芳", "fang"), ("静", "jing"), ("磊", "lei")],
        surnames: &[
            ("王", "wang"),
            ("李", "li"),
            ("张", "zhang"),
            ("陈", "chen"),
        ],
        language: "zh-CN",
        country: "CN",
        city: "Shanghai",
        weight: 1,
    },
    Culture {
        given: &[
            ("ليلى", "layla"),
            ("عمر", "omar"),
            ("يوسف", "youssef"),
            ("فاطمة", "fatima"),
        ],
        surnames: &[
            ("حداد", "haddad"),
            ("الأحمد", "alahmad"),
            ("منصور", "mansour"),
        ],
        language: "ar-AE",
        country: "AE",
        city: "Dubai",
        weight: 1,
    },
    Culture {
        given: &[("נועה", "noa"), ("אורי", "uri"), ("תמר", "tamar")],
        surnames: &[("כהן", "cohen"), ("לוי", "levi"), ("מזרחי", "mizrahi")],
        language: "he-IL",
        country: "IL",
        city: "Haifa",
        weight: 1,
    },
];

/// Divisions and their departments, with the job titles people in them hold.
/// A department's name and the job titles people in it hold.
type Department = (&'static str, &'static [&'static str]);

const DIVISIONS: &[(&str, &[Department])] = &[
    (
        "Academic",
        &[
            (
                "Mathematics",
                &["Teacher of Mathematics", "Head of Mathematics"],
            ),
            ("English", &["Teacher of English", "Head of English"]),
            ("Science", &["Teacher of Science", "Lab Technician"]),
            (
                "Humanities",
                &["Teacher of History", "Teacher of Geography"],
            ),
            ("Languages", &["Teacher of French", "Teacher of Spanish"]),
        ],
    ),
    (
        "Operations",
        &[
            ("Finance", &["Accountant", "Finance Officer"]),
            ("Facilities", &["Site Manager", "Caretaker"]),
            ("IT Services", &["Network Manager", "IT Technician"]),
        ],
    ),
    (
        "Student Services",
        &[
            ("Admissions", &["Admissions Officer"]),
            ("Pastoral Care", &["Pastoral Lead", "Counsellor"]),
            ("Library", &["Librarian", "Library Assistant"]),
        ],
    ),
];

/// People per team group in a generated tenant.
const TEAM_SIZE: usize = 200;

/// A deterministic tenant of `count` people (members and guests) from `seed`.
pub fn generated(count: usize, seed: u64) -> (TenantIdentity, Directory) {
    let mut dice = Dice::for_stream(seed, "tenant");
    let identity = TenantIdentity {
        id: dice.guid(),
        domain: "contosolearning.onmicrosoft.com".to_string(),
        name: "Contoso Learning".to_string(),
    };
    let mut people = PeopleMaker::new(seed, &identity.domain);
    let departments: Vec<(usize, &str, &[&str])> = DIVISIONS
        .iter()
        .enumerate()
        .flat_map(|(division, (_, depts))| {
            depts
                .iter()
                .map(move |(name, titles)| (division, *name, *titles))
        })
        .collect();

    let mut users = Vec::with_capacity(count);
    let mut user_department = Vec::with_capacity(count);
    for index in 0..count {
        let guest = index % 50 == 4;
        if guest {
            users.push(people.guest());
            user_department.push(None);
            continue;
        }
        let dept = people.dice.below(departments.len());
        let (_, name, titles) = departments[dept];
        let title = people.dice.pick(titles).copied().unwrap_or("Staff");
        let mut user = people.member(name, title);
        // A manager chosen among the first eighth, so the tree stays a few levels deep.
        if index > 0 {
            let pool = (index / 8).max(1);
            let manager = people.dice.below(pool);
            if manager != index {
                user.manager = Some(manager);
            }
        }
        if index % 31 == 7 {
            user.account_enabled = false;
        }
        if index % 47 == 5 {
            user.mail = None;
        }
        users.push(user);
        user_department.push(Some(dept));
    }
    // Two people share one mailbox address.
    if count >= 4 {
        let shared = users[2].mail.clone();
        if let Some(shared) = shared {
            users[3].mail = Some(shared);
        }
    }

    let mut groups = Vec::new();
    let mut group_dice = Dice::for_stream(seed, "groups");
    let all_staff = push_group(
        &mut groups,
        &mut group_dice,
        "All Staff",
        Some("Everyone employed by the organisation"),
        true,
    );
    let partners = push_group(
        &mut groups,
        &mut group_dice,
        "External Partners",
        Some("Guests from partner organisations"),
        true,
    );
    let empty = push_group(
        &mut groups,
        &mut group_dice,
        "Project Phoenix",
        Some("A group with no members yet"),
        true,
    );
    let _ = empty;
    let mut division_groups = Vec::new();
    for (name, _) in DIVISIONS {
        let g = push_group(
            &mut groups,
            &mut group_dice,
            &format!("Division: {name}"),
            None,
            true,
        );
        groups[all_staff].members.push(ObjectRef::group(g));
        division_groups.push(g);
    }
    let mut dept_members: Vec<Vec<usize>> = vec![Vec::new(); departments.len()];
    for (index, dept) in user_department.iter().enumerate() {
        match dept {
            Some(dept) => dept_members[*dept].push(index),
            None => groups[partners].members.push(ObjectRef::user(index)),
        }
    }
    for (dept, (division, name, _)) in departments.iter().enumerate() {
        let g = push_group(
            &mut groups,
            &mut group_dice,
            &format!("Department: {name}"),
            None,
            true,
        );
        groups[division_groups[*division]]
            .members
            .push(ObjectRef::group(g));
        let members = &dept_members[dept];
        let teams = members.len().div_ceil(TEAM_SIZE).max(1);
        for team in 0..teams {
            let listed = teams <= 3;
            let t = push_group(
                &mut groups,
                &mut group_dice,
                &format!("{name} Team {}", team + 1),
                None,
                listed,
            );
            groups[g].members.push(ObjectRef::group(t));
            let start = team * TEAM_SIZE;
            let end = ((team + 1) * TEAM_SIZE).min(members.len());
            for user in members.get(start..end).unwrap_or_default() {
                groups[t].members.push(ObjectRef::user(*user));
            }
        }
    }
    let others = vec![
        OtherObject {
            kind: ObjectKind::Device,
            id: group_dice.guid(),
            display_name: "Reception Kiosk".to_string(),
            detail: Some(group_dice.guid()),
        },
        OtherObject {
            kind: ObjectKind::ServicePrincipal,
            id: group_dice.guid(),
            display_name: "Payroll Connector".to_string(),
            detail: Some(group_dice.guid()),
        },
        OtherObject {
            kind: ObjectKind::OrgContact,
            id: group_dice.guid(),
            display_name: "Auditor (Fabrikam)".to_string(),
            detail: Some("audit@fabrikam.example".to_string()),
        },
    ];
    for (index, other) in others.iter().enumerate() {
        groups[all_staff].members.push(ObjectRef {
            kind: other.kind,
            index,
        });
    }
    (identity, Directory::new(users, groups, others))
}

/// Pupils per class in a school tenant.
const CLASS_SIZE: usize = 30;
/// Staff per staff team in a school tenant.
const STAFF_TEAM_SIZE: usize = 30;
/// The year groups of a school tenant.
const YEARS: [&str; 7] = [
    "Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12", "Year 13",
];
/// The subjects staff teams are named after.
const SUBJECTS: [&str; 12] = [
    "English",
    "Mathematics",
    "Science",
    "History",
    "Geography",
    "Languages",
    "Art",
    "Music",
    "Physical Education",
    "Computing",
    "Pastoral",
    "Office",
];

/// A deterministic school-shaped tenant of `count` people from `seed`, as schools and
/// universities lay out their directories: "Whole School" holds "All Students" and
/// "All Staff"; All Students holds the year groups (Year 7 … Year 13), each year its
/// classes of about 30 pupils; All Staff holds staff teams of about 30. One pupil in
/// twenty is also in a second class of the same year, one staff member in fifty is a
/// guest, and the reception kiosk (a device) sits in All Staff. A tenth of the people are
/// staff. Only the top groups and the year groups are listed in `SandboxInfo.groups`.
pub fn school(count: usize, seed: u64) -> (TenantIdentity, Directory) {
    let mut dice = Dice::for_stream(seed, "tenant");
    let identity = TenantIdentity {
        id: dice.guid(),
        domain: "northfield.onmicrosoft.com".to_string(),
        name: "Northfield School".to_string(),
    };
    let mut people = PeopleMaker::new(seed, &identity.domain);
    let staff = (count / 10).max(1).min(count);
    let pupils = count - staff;
    let mut users = Vec::with_capacity(count);
    for index in 0..staff {
        if index % 50 == 49 {
            users.push(people.guest());
            continue;
        }
        let subject = SUBJECTS[index % SUBJECTS.len()];
        let mut user = people.member(subject, "Teacher");
        if index > 0 {
            user.manager = Some(people.dice.below((index / 8).max(1)));
        }
        users.push(user);
    }
    for index in 0..pupils {
        let year = YEARS[index * YEARS.len() / pupils.max(1)];
        let mut user = people.member(year, "Pupil");
        user.employee_type = Some("Student".to_string());
        if index % 97 == 3 {
            user.account_enabled = false;
        }
        users.push(user);
    }

    let mut groups = Vec::new();
    let mut group_dice = Dice::for_stream(seed, "groups");
    let whole = push_group(
        &mut groups,
        &mut group_dice,
        "Whole School",
        Some("Every pupil and member of staff"),
        true,
    );
    let students = push_group(
        &mut groups,
        &mut group_dice,
        "All Students",
        Some("Every pupil, by year group"),
        true,
    );
    let all_staff = push_group(
        &mut groups,
        &mut group_dice,
        "All Staff",
        Some("Everyone employed by the school"),
        true,
    );
    groups[whole].members.push(ObjectRef::group(students));
    groups[whole].members.push(ObjectRef::group(all_staff));
    for team in 0..staff.div_ceil(STAFF_TEAM_SIZE) {
        let name = format!(
            "{} Staff {}",
            SUBJECTS[team % SUBJECTS.len()],
            team / SUBJECTS.len() + 1
        );
        let t = push_group(&mut groups, &mut group_dice, &name, None, false);
        groups[all_staff].members.push(ObjectRef::group(t));
        let end = ((team + 1) * STAFF_TEAM_SIZE).min(staff);
        for user in team * STAFF_TEAM_SIZE..end {
            groups[t].members.push(ObjectRef::user(user));
        }
    }
    for (year_index, year) in YEARS.iter().enumerate() {
        let y = push_group(&mut groups, &mut group_dice, year, None, true);
        groups[students].members.push(ObjectRef::group(y));
        let first = year_index * pupils / YEARS.len();
        let last = (year_index + 1) * pupils / YEARS.len();
        let in_year: Vec<usize> = (first..last).map(|pupil| staff + pupil).collect();
        let classes = in_year.len().div_ceil(CLASS_SIZE).max(1);
        let mut class_groups = Vec::with_capacity(classes);
        for class in 0..classes {
            let name = format!("{year} Class {}", class + 1);
            let c = push_group(&mut groups, &mut group_dice, &name, None, false);
            groups[y].members.push(ObjectRef::group(c));
            class_groups.push(c);
        }
        for (position, user) in in_year.iter().enumerate() {
            let class = position * classes / in_year.len().max(1);
            groups[class_groups[class]]
                .members
                .push(ObjectRef::user(*user));
            if position % 20 == 7 && classes > 1 {
                let second = (class + 1) % classes;
                groups[class_groups[second]]
                    .members
                    .push(ObjectRef::user(*user));
            }
        }
    }
    let others = vec![OtherObject {
        kind: ObjectKind::Device,
        id: group_dice.guid(),
        display_name: "Reception Kiosk".to_string(),
        detail: Some(group_dice.guid()),
    }];
    groups[all_staff].members.push(ObjectRef {
        kind: ObjectKind::Device,
        index: 0,
    });
    (identity, Directory::new(users, groups, others))
}

/// A deterministic tenant of `count` people from `seed` in one flat group, "Everyone",
/// with no groups inside it: the shape of an organisation that keeps one big list (an
/// all-staff distribution group, a dynamic group of every account). One person in fifty
/// is a guest; every tenth has a manager.
pub fn flat(count: usize, seed: u64) -> (TenantIdentity, Directory) {
    let mut dice = Dice::for_stream(seed, "tenant");
    let identity = TenantIdentity {
        id: dice.guid(),
        domain: "everyone.onmicrosoft.com".to_string(),
        name: "Flat Organisation".to_string(),
    };
    let mut people = PeopleMaker::new(seed, &identity.domain);
    let mut users = Vec::with_capacity(count);
    for index in 0..count {
        if index % 50 == 49 {
            users.push(people.guest());
            continue;
        }
        let mut user = people.member("Operations", "Associate");
        if index % 10 == 1 {
            user.manager = Some(index - 1);
        }
        users.push(user);
    }
    let mut groups = Vec::new();
    let mut group_dice = Dice::for_stream(seed, "groups");
    let everyone = push_group(
        &mut groups,
        &mut group_dice,
        "Everyone",
        Some("Every account in the organisation"),
        true,
    );
    groups[everyone].members = (0..count).map(ObjectRef::user).collect();
    (identity, Directory::new(users, groups, Vec::new()))
}

fn push_group(
    groups: &mut Vec<Group>,
    dice: &mut Dice,
    name: &str,
    description: Option<&str>,
    listed: bool,
) -> usize {
    let nickname: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    groups.push(Group {
        id: dice.guid(),
        display_name: name.to_string(),
        description: description.map(str::to_string),
        mail: None,
        mail_enabled: false,
        mail_nickname: nickname,
        security_enabled: true,
        group_types: Vec::new(),
        created_date_time: "2021-09-01T08:00:00Z".to_string(),
        members: Vec::new(),
        changed: 0,
        listed,
    });
    groups.len() - 1
}

/// Makes people with unique addresses.
struct PeopleMaker {
    dice: Dice,
    domain: String,
    taken: HashMap<String, usize>,
    employee_number: u32,
}

impl PeopleMaker {
    fn new(seed: u64, domain: &str) -> Self {
        Self {
            dice: Dice::for_stream(seed, "people"),
            domain: domain.to_string(),
            taken: HashMap::new(),
            employee_number: 10_000,
        }
    }

    fn culture(&mut self) -> &'static Culture {
        let total: usize = CULTURES.iter().map(|c| c.weight).sum();
        let mut roll = self.dice.below(total);
        for culture in CULTURES {
            if roll < culture.weight {
                return culture;
            }
            roll -= culture.weight;
        }
        &CULTURES[0]
    }

    fn unique_local(&mut self, base: &str) -> String {
        let count = self.taken.entry(base.to_string()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base.to_string()
        } else {
            format!("{base}{count}")
        }
    }

    /// A staff member with a mailbox.
    fn member(&mut self, department: &str, title: &str) -> User {
        let culture = self.culture();
        let (given, given_ascii) = *self.dice.pick(culture.given).unwrap_or(&("Alex", "alex"));
        let (surname, surname_ascii) = *self.dice.pick(culture.surnames).unwrap_or(&("Kim", "kim"));
        let local = self.unique_local(&format!("{given_ascii}.{surname_ascii}"));
        let upn = format!("{local}@{}", self.domain);
        let display = if matches!(culture.language, "ja-JP" | "zh-CN") {
            format!("{surname}{given}")
        } else {
            format!("{given} {surname}")
        };
        self.employee_number += 1;
        let id = self.dice.guid();
        let year = 2010 + self.dice.below(15);
        let month = 1 + self.dice.below(12);
        User {
            id,
            user_principal_name: upn.clone(),
            display_name: display,
            given_name: Some(given.to_string()),
            surname: Some(surname.to_string()),
            mail: Some(upn),
            mail_nickname: local,
            job_title: Some(title.to_string()),
            department: Some(department.to_string()),
            office_location: Some(format!("{} Campus", culture.city)),
            country: Some(culture.country.to_string()),
            city: Some(culture.city.to_string()),
            usage_location: Some(culture.country.to_string()),
            preferred_language: Some(culture.language.to_string()),
            employee_id: Some(format!("E{}", self.employee_number)),
            employee_type: Some("Employee".to_string()),
            employee_hire_date: Some(format!("{year}-{month:02}-01T00:00:00Z")),
            company_name: None,
            mobile_phone: None,
            business_phones: vec![format!("+44 161 555 {:04}", self.employee_number % 10_000)],
            account_enabled: true,
            user_type: "Member".to_string(),
            creation_type: None,
            external_user_state: None,
            other_mails: Vec::new(),
            created_date_time: format!("{year}-{month:02}-01T09:00:00Z"),
            manager: None,
            changed: 0,
            removed: None,
        }
    }

    /// A B2B guest: `#EXT#` userPrincipalName, userType Guest, their own mail.
    fn guest(&mut self) -> User {
        let culture = self.culture();
        let (given, given_ascii) = *self.dice.pick(culture.given).unwrap_or(&("Alex", "alex"));
        let (surname, surname_ascii) = *self.dice.pick(culture.surnames).unwrap_or(&("Kim", "kim"));
        let partner = *self
            .dice
            .pick(&["fabrikam.example", "adatum.example", "tailspin.example"])
            .unwrap_or(&"fabrikam.example");
        let local = self.unique_local(&format!("{given_ascii}.{surname_ascii}.{partner}"));
        let mail = format!("{local}@{partner}").replacen(&format!(".{partner}@"), "@", 1);
        let nickname = format!("{}#EXT#", mail.replace('@', "_"));
        let upn = format!("{nickname}@{}", self.domain);
        User {
            id: self.dice.guid(),
            user_principal_name: upn,
            display_name: format!("{given} {surname} (Guest)"),
            given_name: Some(given.to_string()),
            surname: Some(surname.to_string()),
            mail: Some(mail.clone()),
            mail_nickname: nickname,
            job_title: None,
            department: None,
            office_location: None,
            country: None,
            city: None,
            usage_location: None,
            preferred_language: None,
            employee_id: None,
            employee_type: None,
            employee_hire_date: None,
            company_name: Some(partner.to_string()),
            mobile_phone: None,
            business_phones: Vec::new(),
            account_enabled: true,
            user_type: "Guest".to_string(),
            creation_type: Some("Invitation".to_string()),
            external_user_state: Some("Accepted".to_string()),
            other_mails: vec![mail],
            created_date_time: "2023-03-15T10:00:00Z".to_string(),
            manager: None,
            changed: 0,
            removed: None,
        }
    }
}

/// The demo tenant: Northwind Academy Trust, about 250 people.
///
/// All Staff → Teaching Staff → Year 7–11 Tutors and Sixth Form Tutors; All Staff →
/// Support Staff → Teaching Assistants (no mailboxes), Office & Admin (a shared office
/// mailbox whose address the receptionist also uses), Site & Facilities (with the staff-room
/// printer), IT Services (with a timetable service principal); the Senior Leadership Team
/// directly under All Staff; External Examiners are guests; Leavers 2024 are disabled but
/// still in their old groups; a local-authority liaison is an organisational contact.
pub fn demo() -> (TenantIdentity, Directory) {
    let identity = TenantIdentity {
        id: "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b".to_string(),
        domain: "northwindacademy.onmicrosoft.com".to_string(),
        name: "Northwind Academy Trust".to_string(),
    };
    let mut people = PeopleMaker::new(2024, &identity.domain);
    let mut group_dice = Dice::for_stream(2024, "demo-groups");
    let mut users: Vec<User> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();

    let all_staff = push_group(
        &mut groups,
        &mut group_dice,
        "All Staff",
        Some("Everyone employed by the trust"),
        true,
    );
    let teaching = push_group(
        &mut groups,
        &mut group_dice,
        "Teaching Staff",
        Some("Teachers and tutors"),
        true,
    );
    let support = push_group(
        &mut groups,
        &mut group_dice,
        "Support Staff",
        Some("Everyone who keeps the schools running"),
        true,
    );
    let slt = push_group(
        &mut groups,
        &mut group_dice,
        "Senior Leadership Team",
        None,
        true,
    );
    groups[all_staff].members.extend([
        ObjectRef::group(teaching),
        ObjectRef::group(support),
        ObjectRef::group(slt),
    ]);
    let examiners = push_group(
        &mut groups,
        &mut group_dice,
        "External Examiners",
        Some("Guests from the exam boards"),
        true,
    );
    let leavers = push_group(
        &mut groups,
        &mut group_dice,
        "Leavers 2024",
        Some("Accounts disabled at the end of the summer term"),
        true,
    );

    let add = |users: &mut Vec<User>, groups: &mut Vec<Group>, user: User, group: usize| {
        users.push(user);
        let index = users.len() - 1;
        groups[group].members.push(ObjectRef::user(index));
        index
    };

    // Head and senior leadership.
    let head = add(
        &mut users,
        &mut groups,
        people.member("Leadership", "Executive Headteacher"),
        slt,
    );
    let mut leaders = vec![head];
    for title in [
        "Deputy Headteacher",
        "Deputy Headteacher",
        "Assistant Headteacher",
        "Assistant Headteacher",
        "Business Manager",
        "SENCo",
        "Head of Sixth Form",
    ] {
        let mut user = people.member("Leadership", title);
        user.manager = Some(head);
        let index = add(&mut users, &mut groups, user, slt);
        leaders.push(index);
    }

    // Tutors by year group.
    let subjects = [
        "Mathematics",
        "English",
        "Science",
        "History",
        "Geography",
        "French",
        "Art",
        "Music",
        "Computing",
        "PE",
    ];
    for (year, count) in [
        ("Year 7", 18),
        ("Year 8", 18),
        ("Year 9", 17),
        ("Year 10", 17),
        ("Year 11", 16),
        ("Sixth Form", 14),
    ] {
        let g = push_group(
            &mut groups,
            &mut group_dice,
            &format!("{year} Tutors"),
            Some(&format!("Form tutors for {year}")),
            true,
        );
        groups[teaching].members.push(ObjectRef::group(g));
        for n in 0..count {
            let subject = subjects[(n + year.len()) % subjects.len()];
            let mut user = people.member(subject, &format!("Teacher of {subject}"));
            user.manager = Some(leaders[1 + n % 4]);
            add(&mut users, &mut groups, user, g);
        }
    }

    // Support staff.
    let tas = push_group(
        &mut groups,
        &mut group_dice,
        "Teaching Assistants",
        Some("Classroom support; no mailboxes"),
        true,
    );
    let office = push_group(&mut groups, &mut group_dice, "Office & Admin", None, true);
    let site = push_group(
        &mut groups,
        &mut group_dice,
        "Site & Facilities",
        None,
        true,
    );
    let it = push_group(&mut groups, &mut group_dice, "IT Services", None, true);
    for g in [tas, office, site, it] {
        groups[support].members.push(ObjectRef::group(g));
    }
    for n in 0..32 {
        let mut user = people.member("Learning Support", "Teaching Assistant");
        user.mail = None;
        user.manager = Some(leaders[6]);
        if n % 8 == 0 {
            user.preferred_language = None;
        }
        add(&mut users, &mut groups, user, tas);
    }
    for title in [
        "Office Manager",
        "Receptionist",
        "Receptionist",
        "Exams Officer",
        "Data Manager",
        "Finance Officer",
        "Finance Officer",
        "HR Officer",
        "Attendance Officer",
        "Admissions Officer",
        "PA to the Headteacher",
        "Cover Manager",
        "Admin Assistant",
        "Admin Assistant",
    ] {
        let mut user = people.member("Administration", title);
        user.manager = Some(leaders[5]);
        add(&mut users, &mut groups, user, office);
    }
    // The shared office mailbox: a mailbox-only account, sign-in blocked.
    let mut shared = people.member("Administration", "Shared mailbox");
    shared.display_name = "Main Office".to_string();
    shared.given_name = None;
    shared.surname = None;
    shared.job_title = None;
    shared.employee_id = None;
    shared.user_principal_name = format!("office@{}", identity.domain);
    shared.mail_nickname = "office".to_string();
    shared.mail = Some(format!("office@{}", identity.domain));
    shared.account_enabled = false;
    add(&mut users, &mut groups, shared, office);
    // The first receptionist also uses the office address as her mail.
    if let Some(receptionist) = users
        .iter_mut()
        .find(|u| u.job_title.as_deref() == Some("Receptionist"))
    {
        receptionist.mail = Some(format!("office@{}", identity.domain));
    }
    for title in [
        "Site Manager",
        "Caretaker",
        "Caretaker",
        "Cleaner",
        "Cleaner",
        "Cleaner",
        "Catering Manager",
        "Cook",
        "Cook",
        "Groundskeeper",
    ] {
        let mut user = people.member("Facilities", title);
        user.manager = Some(leaders[5]);
        add(&mut users, &mut groups, user, site);
    }
    for title in [
        "Network Manager",
        "IT Technician",
        "IT Technician",
        "IT Apprentice",
    ] {
        let mut user = people.member("IT Services", title);
        user.manager = Some(leaders[5]);
        add(&mut users, &mut groups, user, it);
    }

    // Guests: external examiners.
    for _ in 0..8 {
        let user = people.guest();
        add(&mut users, &mut groups, user, examiners);
    }
    // Leavers: disabled, still members of their old groups.
    let leaver_groups = [teaching, tas, office];
    for n in 0..12 {
        let mut user = people.member("Mathematics", "Teacher (left July 2024)");
        user.account_enabled = false;
        let g = groups
            .iter()
            .position(|g| g.display_name == "Year 8 Tutors")
            .unwrap_or(leaver_groups[n % 3]);
        let index = add(&mut users, &mut groups, user, leavers);
        groups[if n % 2 == 0 { g } else { leaver_groups[n % 3] }]
            .members
            .push(ObjectRef::user(index));
    }
    // Heads of department: a second, overlapping group for some teachers.
    let hods = push_group(
        &mut groups,
        &mut group_dice,
        "Heads of Department",
        None,
        true,
    );
    groups[teaching].members.push(ObjectRef::group(hods));
    let teachers: Vec<usize> = users
        .iter()
        .enumerate()
        .filter(|(_, u)| {
            u.job_title
                .as_deref()
                .is_some_and(|t| t.starts_with("Teacher of"))
        })
        .map(|(i, _)| i)
        .step_by(10)
        .collect();
    for t in teachers {
        groups[hods].members.push(ObjectRef::user(t));
    }
    // Governors: volunteers with their own mail, not staff.
    let governors = push_group(
        &mut groups,
        &mut group_dice,
        "Governors",
        Some("Trust board volunteers"),
        true,
    );
    for _ in 0..9 {
        let mut user = people.member("Governance", "Governor");
        user.employee_id = None;
        user.employee_type = Some("Volunteer".to_string());
        add(&mut users, &mut groups, user, governors);
    }
    // Fill to about 250 with more tutors across year groups.
    let year7 = groups
        .iter()
        .position(|g| g.display_name == "Year 7 Tutors")
        .unwrap_or(teaching);
    while users.len() < 250 {
        let mut user = people.member("Humanities", "Teacher of Religious Education");
        user.manager = Some(leaders[2]);
        add(&mut users, &mut groups, user, year7);
    }

    let others = vec![
        OtherObject {
            kind: ObjectKind::Device,
            id: group_dice.guid(),
            display_name: "Staff Room Printer".to_string(),
            detail: Some(group_dice.guid()),
        },
        OtherObject {
            kind: ObjectKind::ServicePrincipal,
            id: group_dice.guid(),
            display_name: "Timetable Sync".to_string(),
            detail: Some(group_dice.guid()),
        },
        OtherObject {
            kind: ObjectKind::OrgContact,
            id: group_dice.guid(),
            display_name: "Local Authority Liaison".to_string(),
            detail: Some("liaison@council.example".to_string()),
        },
    ];
    groups[site].members.push(ObjectRef {
        kind: ObjectKind::Device,
        index: 0,
    });
    groups[it].members.push(ObjectRef {
        kind: ObjectKind::ServicePrincipal,
        index: 1,
    });
    groups[governors].members.push(ObjectRef {
        kind: ObjectKind::OrgContact,
        index: 2,
    });
    (identity, Directory::new(users, groups, others))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tenant_is_deterministic_and_all_staff_covers_nearly_everyone() {
        let (a_identity, a) = generated(1000, 9);
        let (b_identity, b) = generated(1000, 9);
        assert_eq!(a_identity.id, b_identity.id);
        assert_eq!(a.users[500].id, b.users[500].id);
        assert_eq!(a.users[500].display_name, b.users[500].display_name);
        let all_staff = a.groups.iter().position(|g| g.display_name == "All Staff");
        let all_staff = all_staff.unwrap_or(usize::MAX);
        let reach = a.transitive_members(all_staff);
        let users = reach.iter().filter(|m| m.kind == ObjectKind::User).count();
        assert!(users >= 970, "All Staff reaches {users} of 1000");
        let depth = a.group_depths().values().copied().max().unwrap_or(0);
        assert!(depth >= 3, "nesting depth {depth}");
        let upns: std::collections::HashSet<_> = a
            .users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect();
        assert_eq!(upns.len(), 1000, "userPrincipalNames are unique");
        assert!(
            a.users
                .iter()
                .any(|u| u.user_principal_name.contains("#EXT#"))
        );
        assert!(a.users.iter().any(|u| !u.account_enabled));
        assert!(a.users.iter().any(|u| u.mail.is_none()));
    }

    #[test]
    fn school_tenant_has_classes_of_about_thirty_under_year_groups() {
        let (_, directory) = school(2_000, 7);
        assert_eq!(directory.live_user_count(), 2_000);
        let whole = directory
            .groups
            .iter()
            .position(|g| g.display_name == "Whole School")
            .unwrap();
        let everyone = directory.transitive_members(whole);
        let people = everyone
            .iter()
            .filter(|m| m.kind == ObjectKind::User)
            .count();
        assert_eq!(people, 2_000, "Whole School holds everyone");
        let classes: Vec<&Group> = directory
            .groups
            .iter()
            .filter(|g| g.display_name.contains(" Class "))
            .collect();
        assert!(classes.len() >= 60, "{}", classes.len());
        assert!(
            classes.iter().all(|c| (25..=36).contains(&c.members.len())),
            "classes of about 30"
        );
        let memberships: usize = classes.iter().map(|c| c.members.len()).sum();
        assert!(memberships > 1_800, "some pupils are in two classes");
        assert_eq!(school(2_000, 7).1.users[1500].id, directory.users[1500].id);
    }

    #[test]
    fn demo_tenant_tells_its_story() {
        let (identity, directory) = demo();
        assert_eq!(identity.domain, "northwindacademy.onmicrosoft.com");
        assert!((240..=260).contains(&directory.users.len()));
        let office: Vec<_> = directory
            .users
            .iter()
            .filter(|u| u.mail.as_deref() == Some("office@northwindacademy.onmicrosoft.com"))
            .collect();
        assert_eq!(office.len(), 2, "two accounts share the office address");
        assert!(directory.group_depths().values().any(|d| *d >= 2));
    }
}
