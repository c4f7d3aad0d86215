const MAPS_KEY = 'AIzakKWeGYwou4uuKMgaM6eGQ66CYyAaoiwyykG';
