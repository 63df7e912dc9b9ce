"""A labelled set for the suggestions: which need each request belongs to.

The demo's five needs (and the requests it files under them) plus ten more needs, each
with three requests already filed under it, and 300 new requests, 20 a need, each labelled
with the need it belongs to. The new requests are made from phrase banks, as people write:
an ask for a title, a reason for a description, now and then a remark that could be about
anything. Words cross needs on purpose ("export" is asked of the data need and of the
audit need; "report" of finance and of usage), so the right answer is not a word away.
Built the same way on every run (one seeded generator), so its figures are comparable.
"""

import random
from dataclasses import dataclass, field

# The demo's needs, by their statements (app/demo/dataset.py): the labels of the
# requests below that belong to them.
DEMO_NEEDS = {
    "sso": "Enterprise customers must sign in with their identity provider",
    "data": "Customers need their data outside the product, regularly",
    "revenue": "Finance needs revenue attributed to each product line",
    "dates": "Go-to-market teams need dates they can plan campaigns around",
    "audit": "Admins must see who changed what, for their auditors",
}


@dataclass
class NewNeed:
    statement: str
    description: str
    filed: list[tuple[str, str]]  # (title, description) of requests already under it


@dataclass
class Phrases:
    asks: list[str]
    reasons: list[str]


@dataclass
class LabelledSet:
    needs: dict[str, NewNeed] = field(default_factory=dict)
    # (title, description, the key of the need it belongs to)
    requests: list[tuple[str, str, str]] = field(default_factory=list)


NEW_NEEDS = {
    "offline": NewNeed(
        "Field staff must keep working without a network connection",
        "Technicians lose reception in basements and plants; their changes must sync later.",
        [
            ("Offline mode for the mobile app", "Our technicians work underground."),
            ("App loses my notes when the signal drops", "Happened three times on site."),
            ("Sync changes once back online", "Crews fill forms in remote plants."),
        ],
    ),
    "slack": NewNeed(
        "Teams want alerts in the chat tool they already use",
        "Updates buried in e-mail get missed; Slack and Teams channels are where work happens.",
        [
            ("Slack notifications for new tickets", "Support lives in Slack all day."),
            ("Post updates to a Microsoft Teams channel", "Our company banned Slack."),
            ("Chat alert when a deal's request changes", "Sales reps miss the e-mails."),
        ],
    ),
    "bulk_edit": NewNeed(
        "Admins need to change many records at once",
        "Editing hundreds of rows one by one takes whole afternoons after every reorg.",
        [
            ("Bulk edit owners after a reorg", "We reassigned 400 accounts by hand."),
            ("Select all and change status", "Closing old items one at a time is painful."),
            ("Mass update tags from a spreadsheet", "Cleaning up our taxonomy."),
        ],
    ),
    "custom_fields": NewNeed(
        "Customers want to record their own attributes on records",
        "Each company tracks something the standard form lacks: region, contract tier, cost "
        "centre.",
        [
            ("Custom fields on accounts", "We need a contract tier field."),
            ("Add our own dropdown for region", "Every deal belongs to a sales region."),
            ("Let admins define extra attributes", "Cost centre is missing from the form."),
        ],
    ),
    "speed": NewNeed(
        "Pages must load fast even for the largest accounts",
        "Big customers wait many seconds for lists and dashboards; they call it slowness.",
        [
            ("Dashboard takes 20 seconds to load", "Our account has 2 million rows."),
            ("Lists are slow for big customers", "Timeouts every Monday morning."),
            ("Performance of the search page", "Users give up waiting for results."),
        ],
    ),
    "gdpr": NewNeed(
        "Personal data must be erased on request, provably",
        "Privacy law gives people the right to be forgotten; legal needs proof of deletion.",
        [
            ("GDPR right to erasure", "A former customer asked us to delete everything."),
            ("Delete a contact's personal data for good", "Privacy request from Germany."),
            ("Certificate that data was deleted", "Our DPO needs evidence for the regulator."),
        ],
    ),
    "currency": NewNeed(
        "Invoices and prices must work in several currencies",
        "Subsidiaries bill in euros, pounds and yen; converting by hand causes errors.",
        [
            ("Invoice in euros for the Paris office", "Their finance team rejects dollars."),
            ("Multi-currency price lists", "We sell in Japan and the UK."),
            ("Exchange rates on quotes", "Quotes in local currency for partners."),
        ],
    ),
    "permissions": NewNeed(
        "Admins must control who can see and change what",
        "Contractors should not see salaries; interns should not delete customers.",
        [
            ("Role-based permissions", "Contractors can see everything today."),
            ("Read-only users for auditors", "They must not edit anything."),
            ("Restrict who can delete customers", "An intern removed a key account."),
        ],
    ),
    "calendar": NewNeed(
        "Meetings should land in people's calendars automatically",
        "Booking calls means copying times into Google Calendar or Outlook by hand.",
        [
            ("Google Calendar sync", "Reps double-book demos."),
            ("Outlook invites for scheduled calls", "Customers never get an invite."),
            ("Two-way calendar integration", "Moved meetings are not updated."),
        ],
    ),
    "theming": NewNeed(
        "The product must look like the customer's own brand",
        "Portals customers share with their clients should carry their logo and colours.",
        [
            ("Upload our logo to the portal", "Our clients see your brand, not ours."),
            ("Custom brand colours", "Marketing wants the portal in our palette."),
            ("White-label the client portal", "Agencies resell it under their name."),
        ],
    ),
}

PHRASES = {
    "sso": Phrases(
        [
            "SAML login for {customer}",
            "Sign in with Okta",
            "Azure AD single sign-on",
            "Let employees log in with the company identity provider",
            "SSO is a must for {customer}",
            "Google Workspace login for staff",
            "Enforce SSO for all users",
        ],
        [
            "Their security review fails without SSO.",
            "IT wants to switch off access for leavers in one place.",
            "Password sharing worries their CISO.",
            "The deal is blocked until users can sign in with Okta.",
            "Every other tool they buy supports their identity provider.",
        ],
    ),
    "data": Phrases(
        [
            "Nightly CSV export",
            "Export all tickets to {customer}'s warehouse",
            "Data feed into Power BI",
            "Scheduled export to S3",
            "Download everything as a spreadsheet",
            "API to pull our data into Snowflake",
            "Weekly extract for the BI team",
        ],
        [
            "Support exports this by hand every week.",
            "Their analysts join it with CRM data.",
            "They want the raw data in their own warehouse.",
            "A scheduled file would save hours of copy and paste.",
            "The BI dashboards need fresh data every morning.",
        ],
    ),
    "revenue": Phrases(
        [
            "Revenue by product line",
            "Split ARR per product in the board report",
            "Attribute expansion revenue to products",
            "Finance report of bookings per product family",
            "Which product drives upsell revenue",
            "Product-level revenue breakdown for {customer}",
        ],
        [
            "The CFO asks every quarter and we guess.",
            "Finance reconciles it in spreadsheets today.",
            "The board wants to see which line grows.",
            "Bookings cannot be attributed to a product line now.",
            "Investors asked for revenue per product.",
        ],
    ),
    "dates": Phrases(
        [
            "Launch dates for the next release",
            "When will the new features ship",
            "Committed dates for the campaign calendar",
            "Release timeline for marketing",
            "Target dates we can tell {customer}",
            "Quarterly launch plan with dates",
        ],
        [
            "Marketing books webinars months ahead.",
            "Sales keeps promising dates nobody agreed.",
            "The campaign needs a go-live date to plan around.",
            "Press briefings are scheduled around launches.",
            "Partners plan their own announcements on our timeline.",
        ],
    ),
    "audit": Phrases(
        [
            "Audit trail of permission changes",
            "Who changed this record and when",
            "Activity history for compliance",
            "Log of admin actions for {customer}'s SOC 2",
            "Export the audit log for our auditors",
            "Change history on every account",
        ],
        [
            "The auditors want every change of the last year.",
            "SOC 2 requires a record of who changed what.",
            "Someone changed a setting and nobody knows who.",
            "Compliance asks for an activity log each quarter.",
            "ISO 27001 review needs the admin history.",
        ],
    ),
    "offline": Phrases(
        [
            "Work offline on the tablet",
            "Offline forms for field crews",
            "Keep working with no signal",
            "Save inspections without internet and sync later",
            "Mobile app should not need a connection",
            "Offline mode for {customer}'s technicians",
        ],
        [
            "Crews visit plants with no reception.",
            "The signal drops in basements and tunnels.",
            "Changes get lost when the connection fails.",
            "Inspectors work on ships far from any network.",
            "The app freezes when the network is gone.",
        ],
    ),
    "slack": Phrases(
        [
            "Slack alerts for status changes",
            "Notify our Teams channel",
            "Send updates to chat",
            "Slack integration for {customer}",
            "Post new items to a channel",
            "Chat notifications instead of e-mail",
        ],
        [
            "Nobody reads the e-mail notifications.",
            "The team works in Slack all day.",
            "Microsoft Teams is the only tool they open.",
            "Alerts get buried in inboxes.",
            "They want a message in the channel when something changes.",
        ],
    ),
    "bulk_edit": Phrases(
        [
            "Bulk update records",
            "Edit many rows at once",
            "Mass reassign owners",
            "Change the status of all selected items",
            "Bulk actions on the list view",
            "Update hundreds of records in one go for {customer}",
        ],
        [
            "After the reorg we reassigned 300 accounts one by one.",
            "Cleaning up old items takes a whole afternoon.",
            "Admins click through every record to change a field.",
            "Selecting several rows and editing them together would save hours.",
            "Yearly clean-up means changing every record by hand.",
        ],
    ),
    "custom_fields": Phrases(
        [
            "Add a custom field for contract tier",
            "Our own attributes on each account",
            "Custom dropdown fields",
            "Extra fields on the form for {customer}",
            "Let us define our own properties",
            "Configurable fields per record type",
        ],
        [
            "Region is missing from the standard form.",
            "Every company tracks something different.",
            "We keep cost centre in a notes field today.",
            "They need a field the product does not have.",
            "Their process depends on a contract tier attribute.",
        ],
    ),
    "speed": Phrases(
        [
            "Dashboard loads too slowly",
            "Speed up the list pages",
            "Slow performance for large accounts",
            "Pages time out for {customer}",
            "Search results take forever",
            "Make reports load faster",
        ],
        [
            "It takes 30 seconds with many rows.",
            "Big customers complain about slowness every week.",
            "Users give up waiting for the page.",
            "Timeouts happen on Monday mornings.",
            "The product feels sluggish with a million records.",
        ],
    ),
    "gdpr": Phrases(
        [
            "Erase a person's data on request",
            "GDPR deletion workflow",
            "Right to be forgotten",
            "Delete personal data for {customer}'s former employee",
            "Proof of deletion for privacy requests",
            "Anonymise contacts who ask",
        ],
        [
            "A privacy request came in from an EU citizen.",
            "Legal needs evidence the data is gone.",
            "The regulator may ask for proof.",
            "The DPO handles these requests by hand today.",
            "Privacy law gives them thirty days to comply.",
        ],
    ),
    "currency": Phrases(
        [
            "Bill in euros and pounds",
            "Multi-currency invoicing",
            "Quotes in local currency",
            "Prices in yen for the Tokyo office",
            "Currency conversion on invoices for {customer}",
            "Support several currencies on one account",
        ],
        [
            "Subsidiaries pay in their own currency.",
            "Converting by hand creates rounding errors.",
            "Partners abroad refuse dollar invoices.",
            "Exchange rates change between quote and invoice.",
            "The UK entity needs sterling prices.",
        ],
    ),
    "permissions": Phrases(
        [
            "Restrict what contractors can see",
            "Granular user roles",
            "Read-only access for some users",
            "Limit who can delete records at {customer}",
            "Permissions per team",
            "Hide salary data from most staff",
        ],
        [
            "Interns should not be able to remove customers.",
            "Contractors currently see everything.",
            "Auditors must look without changing anything.",
            "Only managers should approve changes.",
            "Access control is a requirement from security.",
        ],
    ),
    "calendar": Phrases(
        [
            "Sync meetings to Google Calendar",
            "Outlook calendar invites",
            "Calendar integration for scheduled calls",
            "Book demos straight into {customer}'s calendars",
            "Two-way calendar sync",
            "Add follow-up calls to my calendar",
        ],
        [
            "Reps double-book because times are copied by hand.",
            "Customers never receive an invite.",
            "Rescheduled meetings do not update.",
            "Everyone lives in Outlook.",
            "Scheduling calls takes too many steps.",
        ],
    ),
    "theming": Phrases(
        [
            "Our logo on the portal",
            "Brand colours for the client portal",
            "White-label option",
            "Custom branding for {customer}",
            "Use our own domain and logo",
            "Theme the portal in our palette",
        ],
        [
            "Clients should see our brand, not yours.",
            "Marketing insists on the company colours.",
            "Agencies resell the portal under their own name.",
            "The look must match our website.",
            "Our brand guidelines require our logo everywhere.",
        ],
    ),
}

CUSTOMERS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"]
# Remarks that could be about anything: they add words that point nowhere.
REMARKS = [
    "Raised on the quarterly business review.",
    "Came up twice this week.",
    "Renewal is next month.",
    "Mentioned during the demo.",
    "Please let us know the status.",
    "High priority for the account team.",
    "They asked again today.",
    "",
    "",
    "",
]
PER_NEED = 20


def labelled_set(seed: int = 22) -> LabelledSet:
    rng = random.Random(seed)
    made = LabelledSet(needs=dict(NEW_NEEDS))
    for key, phrases in PHRASES.items():
        seen: set[str] = set()
        while len(seen) < PER_NEED:
            title = rng.choice(phrases.asks).format(customer=rng.choice(CUSTOMERS))
            description = f"{rng.choice(phrases.reasons)} {rng.choice(REMARKS)}".strip()
            if f"{title}|{description}" not in seen:
                seen.add(f"{title}|{description}")
                made.requests.append((title, description, key))
    return made
