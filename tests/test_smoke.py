def test_places_seeded(client, places):
    r = client.get("/api/v1/places/circles")
    assert r.status_code == 200
    assert len(r.get_json()) == 6
