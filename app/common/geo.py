"""Points on the map: validation of GCJ-02 coordinates, distances and bounding boxes."""

import math

from app.errors import ValidationFailed

# Redis computes GEO distances with this radius; using it too keeps both paths' metres equal.
EARTH_RADIUS_M = 6372797.560856
# Mainland China's bounding box (GCJ-02 is only defined inside China).
CHINA_LAT, CHINA_LNG = (3.8, 53.6), (73.5, 135.1)
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180


def in_china(lat: float, lng: float) -> bool:
    """Tell whether a point lies inside China's bounding box."""
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]


def check_point(lat: float | None, lng: float | None, prefix: str = "") -> None:
    """Reject a point outside China (422), naming lat/lng swapped when that is the mistake."""
    if lat is None and lng is None:
        return
    lat_field, lng_field = f"{prefix}lat", f"{prefix}lng"
    if lat is None or lng is None:
        raise ValidationFailed(lng_field if lng is None else lat_field, "Give both lat and lng.")
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise ValidationFailed(lat_field, "Coordinates must be numbers.", code="invalid_coordinates")
    if in_china(lat, lng):
        return
    if in_china(lng, lat):
        raise ValidationFailed(
            lat_field,
            f"lat {lat} and lng {lng} look swapped: latitude comes first (e.g. lat 29.71, lng 118.31).",
            code="coordinates_swapped",
        )
    raise ValidationFailed(
        lat_field if not CHINA_LAT[0] <= lat <= CHINA_LAT[1] else lng_field,
        "This point is outside China; send GCJ-02 coordinates as wx.getLocation gives them.",
        code="coordinates_out_of_range",
    )


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Return the great-circle distance in metres (haversine, Redis's earth radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lng, max_lng) of a box holding the circle."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def planar_sq_distance(lat_column, lng_column, lat: float, lng: float):
    """Return a SQL expression of the squared distance in m² (flat earth at the mid-latitude).

    Plain arithmetic, so SQLite and MySQL both evaluate and sort by it without trig functions:
    cos(mid-latitude) is taken to first order around the query's latitude, which keeps the
    error under a metre out to 50 km.
    """
    ky = METRES_PER_DEGREE_LAT
    cos0, sin0 = math.cos(math.radians(lat)), math.sin(math.radians(lat))
    dy = (lat_column - lat) * ky
    dx = (lng_column - lng) * ky * (cos0 - sin0 * (lat_column - lat) * (math.pi / 360))
    return dy * dy + dx * dx


def geo_nearest(
    connection, key: str, lat: float, lng: float, radius_m: float, count: int
) -> list[tuple[int, float]]:
    """GEOSEARCH one Redis set: up to `count` (member id, metres), nearest first; raises RedisError.

    Always with COUNT: a full 3 km circle downtown holds tens of thousands of members.
    """
    hits = connection.geosearch(
        key, longitude=lng, latitude=lat, radius=radius_m, unit="m", sort="ASC", count=count, withdist=True
    )
    return [(int(member), float(dist)) for member, dist in hits]
