from tests.api.conftest import Api, MONAS

def test_probe(api: Api) -> None:
    c = api.client
    for q in ["limit=1_0", "limit=%D9%A1%D9%A0", "bbox=106.8,-6.2,106_9,-6.1"]:
        r = c.get(f"/api/v1/reports?{q}"); print(q, r.status_code, r.text[:200])
    r = c.get("/api/v1/tickets?at_risk=1_0&limit=1_0", headers=api.auth("staff")); print(r.status_code, r.text[:200])
    r = c.get("/api/v1/areas/outlines?min_lon=106_8&min_lat=-6.2&max_lon=106.9&max_lat=-6.1"); print(r.status_code, r.text[:200])
    for q in ["page=1_0", "page_size=%D9%A1%D9%A0", "lat=-6_1&long=106.8"]:
        r = c.get(f"/open311/v2/requests.json?{q}"); print(q, r.status_code, r.text[:200])
    r = c.post("/api/v1/reports", content='{"category": "flood", "description": "Banjir di depan Monas", "lat": -6.1754, "lon": 106.8272, "answers": {"water_depth": [1,2]}}', headers={"Content-Type": "application/json"}); print("list", r.status_code, r.text[:300])
    r = c.post("/api/v1/reports", content='{"category": "flood", "description": "Banjir di depan Monas", "lat": -6.1754, "lon": 106.8272, "answers": {"water_depth": {"a":1}}}', headers={"Content-Type": "application/json"}); print("obj", r.status_code, r.text[:300])
    r = c.post("/api/v1/reports", content='{"category": "flood", "description": "Banjir di depan Monas", "lat": -6.1754, "lon": 106.8272, "\\ud800": 1}', headers={"Content-Type": "application/json"}); print("surr", r.status_code, r.text[:300])
    r = c.post("/api/v1/reports", content='{"category": "flood", "description": "Banjir di depan Monas", "lat": -6.1754, "lon": 106.8272, "answers": {"\\ud800": 1}}', headers={"Content-Type": "application/json"}); print("surr2", r.status_code, r.text[:300])
    code = api.submit()["code"]
    r = c.post(f"/api/v1/tickets/{code}/transitions", content='{"trigger": "verify", "expected_version": 1, "\\ud800x": 1}', headers={"Content-Type": "application/json", **api.auth("staff")}); print("surr3", r.status_code, r.text[:300])
    r = c.post("/api/v1/reports", data={"category": "traffic_jam", "description": "caf\xe9 di Monas".encode("latin-1"), "lat": str(MONAS[0]), "lon": str(MONAS[1])}, files={"photos": ("a.txt", b"", "text/plain")}); print("mp", r.status_code, r.text[:300])
